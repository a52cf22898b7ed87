// Correct drift by server-side applying each drifted object exactly as Helm
// applied it (whole object from the stored manifest, plus the ownership
// metadata Helm adds), with force and Helm's own field manager.
//
// Why not `helm upgrade` of the same chart and values: it needs the rendered
// chart, writes a new Helm revision for every correction (pushing real
// rollback targets out of --history-max), waits for the whole release, and on
// Helm 4 (server-side apply without --force-conflicts) fails on exactly the
// conflict drift creates: another field manager now owns the changed field.
// Applying under Helm's manager name with force gives the fields back to
// Helm, so the next `helm upgrade` (3 or 4) meets no conflict.
import type { KubeClient } from "../adapters/kube.ts";
import type { Logger } from "../log.ts";
import { formatDrift, formatOwner, objectKey, type ManifestObject, type ObjectDrift } from "./drift.ts";
import { readBook, writeBook, type ActionRecord } from "./memo.ts";

export interface CorrectDriftInput {
  cluster: string;
  commit: string;
  kube: KubeClient;
  log: Logger;
  release: { name: string; namespace: string; application?: string };
  revision: number;
  objects: ManifestObject[];
  drifted: ObjectDrift[];
  /** Helm's field manager: the base name of the helm binary (Helm uses os.Args[0]). */
  fieldManager: string;
}

/** What `helm upgrade` adds to every object it applies (and checks for ownership). */
export function withHelmOwnership(o: ManifestObject, release: string, namespace: string): ManifestObject {
  const meta = o.metadata as ManifestObject["metadata"] & { labels?: Record<string, string>; annotations?: Record<string, string> };
  return {
    ...o,
    metadata: {
      ...meta,
      labels: { ...meta.labels, "app.kubernetes.io/managed-by": "Helm" },
      annotations: { ...meta.annotations, "meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace },
    },
  };
}

export async function correctDrift(i: CorrectDriftInput): Promise<ActionRecord> {
  const started = Date.now();
  const byKey = new Map(i.objects.map((o) => [objectKey({ apiVersion: o.apiVersion, kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name }), o]));
  const errors: string[] = [];
  for (const d of i.drifted) {
    const obj = byKey.get(objectKey(d));
    if (!obj) continue;
    try {
      await i.kube.applyObject(withHelmOwnership(obj, i.release.name, i.release.namespace), { fieldManager: i.fieldManager, force: true });
    } catch (err) {
      errors.push(`${d.kind}/${d.name}: ${(err as Error).message}`);
    }
  }
  const record: ActionRecord = {
    at: new Date(started).toISOString(),
    commit: i.commit,
    cluster: i.cluster,
    release: i.release.name,
    namespace: i.release.namespace,
    ...(i.release.application ? { application: i.release.application } : {}),
    action: "correct-drift",
    steps: [],
    result: errors.length ? "failed" : "succeeded",
    ...(errors.length ? { error: errors.join("; ") } : {}),
    helmRevision: i.revision,
    durationMs: Date.now() - started,
    // Paths and who wrote them, not values: the values may be secret.
    drifted: i.drifted.flatMap((d) => (d.missing ? formatDrift(d) : d.fields.map((f) => `${d.kind}/${d.name}: ${f.path}${formatOwner(f.by)}`))),
  };
  await appendRecord(i.kube, i.release.namespace, i.release.name, record);
  i.log.info({ release: i.release.name, namespace: i.release.namespace, action: "correct-drift", result: record.result, durationMs: record.durationMs, objects: i.drifted.length }, "corrected drift");
  return record;
}

/** Adds one record to the release's book on the cluster, keeping its memo as it is. */
export async function appendRecord(kube: KubeClient, namespace: string, release: string, record: ActionRecord): Promise<void> {
  const memos = await kube.listMemos();
  const book = readBook(memos.get(`${namespace}/${release}`));
  await kube.writeMemo(namespace, release, writeBook({ ...book, records: [...book.records, record] }));
}
