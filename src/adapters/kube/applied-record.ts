// The revision a cluster was last fully reconciled to, remembered on that
// cluster: one ConfigMap `berth-applied` in berth's own namespace there, with
// the revision, the replica that applied it and since when. Every replica
// reads it for status, metrics and /readyz, so "last applied" is per cluster
// and does not depend on which replica acts for the cluster (shards). Built on
// KubeClient's generic read and server-side apply, so kube.ts does not grow.
import type { KubeClient } from "../kube.ts";
import { LABELS } from "../../model/labels.ts";

export const APPLIED_RECORD = "berth-applied";
/** Where berth keeps its own records on a cluster unless told otherwise. */
export const BERTH_NAMESPACE = "berth-system";

export interface AppliedRecord {
  revision: string;
  /** The replica (its identity) that reconciled the cluster to it. */
  replica: string;
  /** When that replica first found the cluster fully at this revision. */
  since: string;
}

type Kube = Pick<KubeClient, "getObject" | "applyObject" | "ensureNamespace">;

function parse(cm: Record<string, unknown> | undefined): AppliedRecord | undefined {
  const d = cm?.data as Record<string, string> | undefined;
  if (!d?.revision || !d.replica || !d.since) return undefined;
  return { revision: d.revision, replica: d.replica, since: d.since };
}

export async function readApplied(kube: Pick<Kube, "getObject">, namespace = BERTH_NAMESPACE): Promise<AppliedRecord | undefined> {
  return parse(await kube.getObject("v1", "ConfigMap", namespace, APPLIED_RECORD));
}

/**
 * Records that `replica` found the cluster fully at `revision` at `at`. One
 * read; the apply only when the stored record says another revision or
 * replica (so a pass that changes nothing writes nothing); the namespace is
 * made on the first write.
 */
export async function writeApplied(kube: Kube, r: { revision: string; replica: string; at: Date }, namespace = BERTH_NAMESPACE): Promise<AppliedRecord> {
  const cm = await kube.getObject("v1", "ConfigMap", namespace, APPLIED_RECORD);
  const stored = parse(cm);
  if (stored && stored.revision === r.revision && stored.replica === r.replica) return stored;
  if (!cm) await kube.ensureNamespace(namespace);
  const next: AppliedRecord = { revision: r.revision, replica: r.replica, since: r.at.toISOString() };
  await kube.applyObject(
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: APPLIED_RECORD, namespace, labels: { [LABELS.managed]: "true" } },
      data: { ...next },
    },
    { fieldManager: "berth-applied", force: true },
  );
  return next;
}
