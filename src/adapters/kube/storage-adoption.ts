// Taking over a Helm release berth did not install: its storage Secrets read
// in full (the chart each revision ran, its manifest and values), and berth's
// labels merged into them. Helm keeps a storage Secret's labels when it later
// rewrites the revision (superseded), so the labels stay with the release.
import * as k8s from "@kubernetes/client-node";
import type { HelmStatus } from "../../plan/observed.ts";
import type { Call } from "./call.ts";
import { decodeRelease } from "./helm-storage.ts";

/** One revision of a release as Helm stored it. */
export interface StoredRevision {
  revision: number;
  status: HelmStatus;
  /** The chart it ran (Chart.yaml of the stored chart); absent when the payload has none. */
  chart?: { name: string; version: string; appVersion?: string };
  /** Multi-document YAML of every object Helm applied (hooks excluded). */
  manifest: string;
  /** The values the release was installed or upgraded with (`config` in Helm's payload). */
  config: Record<string, unknown>;
}

export interface StorageAdoption {
  /** Every revision of a release, ascending, decoded from its storage Secrets (one list call). */
  readStoredRevisions(namespace: string, release: string): Promise<StoredRevision[]>;
  /** Merges labels into the storage Secret of each revision given (one merge patch each). */
  labelReleaseStorage(namespace: string, release: string, labels: ReadonlyMap<number, Record<string, string>>): Promise<void>;
}

interface HelmPayload {
  manifest?: string;
  config?: Record<string, unknown> | null;
  chart?: { metadata?: { name?: string; version?: string; appVersion?: string } } | null;
}

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

export const storageSecretName = (release: string, revision: number) => `sh.helm.release.v1.${release}.v${revision}`;

/** A storage Secret -> the revision it holds; undefined for one that is not a release revision. */
export function storedRevision(s: k8s.V1Secret): StoredRevision | undefined {
  const revision = Number(s.metadata?.labels?.version);
  const raw = s.data?.release;
  if (!Number.isInteger(revision) || !raw) return undefined;
  const rel = decodeRelease(raw) as HelmPayload;
  const meta = rel.chart?.metadata;
  return {
    revision,
    status: (s.metadata?.labels?.status ?? "unknown") as HelmStatus,
    ...(meta?.name && meta.version ? { chart: { name: meta.name, version: meta.version, ...(meta.appVersion ? { appVersion: meta.appVersion } : {}) } } : {}),
    manifest: rel.manifest ?? "",
    config: rel.config ?? {},
  };
}

export function storageAdoption(core: k8s.CoreV1Api, call: Call): StorageAdoption {
  return {
    async readStoredRevisions(namespace, release) {
      const list = await call("read Helm release storage", () => core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` }));
      return list.items
        .map(storedRevision)
        .filter((r): r is StoredRevision => r !== undefined)
        .sort((a, b) => a.revision - b.revision);
    },
    async labelReleaseStorage(namespace, release, labels) {
      for (const [revision, add] of [...labels].sort((a, b) => a[0] - b[0])) {
        const name = storageSecretName(release, revision);
        await call("label release storage", () => core.patchNamespacedSecret({ name, namespace, body: { metadata: { labels: add } } }, mergePatch));
      }
    },
  };
}
