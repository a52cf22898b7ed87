// Helm's own release storage (Secrets with owner=helm), read without a helm
// process: the labels carry the state, so observation lists metadata only and
// decodes a payload only where the manifest is needed.
import * as k8s from "@kubernetes/client-node";
import { gunzipSync, gzipSync } from "node:zlib";
import { KubeError } from "../../errors.ts";
import { LABELS } from "../../model/labels.ts";
import type { HelmStatus, ObservedRelease, ObservedRevision } from "../../plan/observed.ts";
import { versionFromLabel } from "../../plan/digest.ts";
import type { Call } from "./call.ts";

/** What Helm applied for a release's deployed revision, from its storage Secret. */
export interface DeployedManifest {
  revision: number;
  /** Multi-document YAML of every object Helm applied (hooks excluded). */
  manifest: string;
  /** The values berth passed (`config` in Helm's payload). */
  config: Record<string, unknown>;
}

export interface HelmStorage {
  /** Every Helm release on the cluster, from its storage Secrets, in one call. */
  listReleases(): Promise<ObservedRelease[]>;
  /** One release's storage, after an action. */
  getRelease(namespace: string, name: string): Promise<ObservedRelease | undefined>;
  /** Marks a release revision left pending by a crash as failed, in Helm's own storage. */
  markRevisionFailed(namespace: string, release: string, revision: number): Promise<void>;
  /** The manifest and values of a release's latest deployed revision: one list call, one payload decoded. */
  readManifest(namespace: string, release: string): Promise<DeployedManifest | undefined>;
}

/**
 * Asks the API server for metadata only (a PartialObjectMetadataList): the
 * state of a release is in its storage Secrets' labels, and their payloads
 * (chart, manifest, values: tens of KiB each) would cost memory and time on
 * every loop. The list parses as a V1SecretList whose items have no data.
 */
const METADATA_ONLY: k8s.ConfigurationOptions = {
  middleware: [
    {
      pre: (ctx) => {
        ctx.setHeaderParam("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json;q=0.9");
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    },
  ],
  middlewareMergeStrategy: "append",
};

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

export function helmStorage(cluster: string, core: k8s.CoreV1Api, call: Call): HelmStorage {
  return {
    async listReleases() {
      const list = await call("list Helm release storage", () => core.listSecretForAllNamespaces({ labelSelector: "owner=helm" }, METADATA_ONLY));
      // an empty PartialObjectMetadataList comes with `items: null`
      return groupReleases(list.items ?? []);
    },
    async getRelease(namespace, name) {
      const list = await call("read Helm release storage", () =>
        core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${name}` }, METADATA_ONLY),
      );
      return groupReleases(list.items ?? [])[0];
    },
    async markRevisionFailed(namespace, release, revision) {
      const name = `sh.helm.release.v1.${release}.v${revision}`;
      const secret = await call("read release storage", () => core.readNamespacedSecret({ name, namespace }));
      const raw = secret.data?.release;
      if (!raw) throw new KubeError(cluster, `release storage ${namespace}/${name} has no release data`);
      const rel = decodeRelease(raw) as { info?: { status?: string; description?: string } };
      rel.info = { ...rel.info, status: "failed", description: "marked failed by berth: left pending by an interrupted operation" };
      await call("patch release storage", () =>
        core.patchNamespacedSecret({ name, namespace, body: { metadata: { labels: { status: "failed" } }, data: { release: encodeRelease(rel) } } }, mergePatch),
      );
    },
    async readManifest(namespace, release) {
      const list = await call("read deployed release storage", () =>
        core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release},status=deployed` }),
      );
      const newest = list.items
        .map((s) => ({ s, rev: Number(s.metadata?.labels?.version) }))
        .filter((x) => Number.isInteger(x.rev) && x.s.data?.release)
        .sort((a, b) => b.rev - a.rev)[0];
      if (!newest) return undefined;
      const rel = decodeRelease(newest.s.data!.release!) as { manifest?: string; config?: Record<string, unknown> | null };
      return { revision: newest.rev, manifest: rel.manifest ?? "", config: rel.config ?? {} };
    },
  };
}

/** Helm stores a release as base64(gzip(JSON)) inside the Secret's (base64) data. */
export function decodeRelease(secretData: string): unknown {
  const helmEncoded = Buffer.from(secretData, "base64").toString("utf8");
  const bytes = Buffer.from(helmEncoded, "base64");
  const json = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return JSON.parse(json.toString("utf8"));
}

export function encodeRelease(rel: unknown): string {
  const helmEncoded = gzipSync(Buffer.from(JSON.stringify(rel))).toString("base64");
  return Buffer.from(helmEncoded).toString("base64");
}

/** Groups Helm storage Secrets into releases with ascending revisions; labels only, no payload decoding. */
export function groupReleases(items: k8s.V1Secret[]): ObservedRelease[] {
  const byKey = new Map<string, { r: ObservedRelease; labels: Map<number, Record<string, string>> }>();
  for (const s of items) {
    const l = s.metadata?.labels ?? {};
    const name = l.name;
    const namespace = s.metadata?.namespace;
    const revision = Number(l.version);
    if (!name || !namespace || !Number.isInteger(revision)) continue;
    const key = `${namespace}/${name}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { r: { name, namespace, managed: false, prune: false, revisions: [] }, labels: new Map() };
      byKey.set(key, entry);
    }
    const rev: ObservedRevision = { revision, status: (l.status ?? "unknown") as HelmStatus };
    const digest = l[LABELS.digest];
    const version = l[LABELS.version];
    if (digest) rev.digest = digest;
    if (version) rev.version = versionFromLabel(version);
    entry.r.revisions.push(rev);
    entry.labels.set(revision, l);
  }
  const out: ObservedRelease[] = [];
  for (const { r, labels } of byKey.values()) {
    r.revisions.sort((a, b) => a.revision - b.revision);
    // Ownership and prune follow the newest revision berth labelled.
    const newest = [...r.revisions].reverse().map((v) => labels.get(v.revision)!).find((l) => l[LABELS.managed] === "true");
    if (newest) {
      r.managed = true;
      r.prune = newest[LABELS.prune] === "true";
      const app = newest[LABELS.application];
      if (app) r.application = app;
    }
    out.push(r);
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}
