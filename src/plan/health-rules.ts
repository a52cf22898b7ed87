// Health of a release, pure: every Deployment, StatefulSet, DaemonSet and Job
// in its manifest, whatever their names, by rules close to kstatus (Flux) and
// `helm --wait`. The first unhealthy object, in manifest order, says why.
import { parseAllDocuments } from "yaml";

export interface Health {
  healthy: boolean;
  message: string;
  /** Every Deployment and StatefulSet asks for 0 replicas: stopped, not "healthy 0/0". */
  scaledToZero?: boolean;
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job"] as const;
export type HealthKind = (typeof WORKLOAD_KINDS)[number];

/** A workload object of a release's manifest. */
export interface WorkloadRef {
  kind: HealthKind;
  namespace: string;
  name: string;
}

/** The fields of a live object the rules read (plain JSON or client-node's objects). */
export interface LiveWorkload {
  metadata?: { generation?: number };
  spec?: { replicas?: number; updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    numberAvailable?: number;
    updatedNumberScheduled?: number;
    succeeded?: number;
    failed?: number;
    conditions?: Array<{ type?: string; status?: string; reason?: string }>;
  };
}

const GROUP: Record<HealthKind, string> = { Deployment: "apps", StatefulSet: "apps", DaemonSet: "apps", Job: "batch" };

/** The workload objects of Helm's stored manifest, the release's namespace where one names none. */
export function workloadRefs(manifest: string, releaseNamespace: string): WorkloadRef[] {
  const out: WorkloadRef[] = [];
  const add = (o: unknown) => {
    const obj = o as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
    if (!obj || typeof obj !== "object" || typeof obj.kind !== "string" || typeof obj.metadata?.name !== "string") return;
    const kind = WORKLOAD_KINDS.find((k) => k === obj.kind);
    // A CRD may call its kind Deployment too; only the built-in groups count.
    if (!kind || typeof obj.apiVersion !== "string" || obj.apiVersion.split("/")[0] !== GROUP[kind]) return;
    const ns = typeof obj.metadata.namespace === "string" && obj.metadata.namespace ? obj.metadata.namespace : releaseNamespace;
    out.push({ kind, namespace: ns, name: obj.metadata.name });
  };
  for (const doc of parseAllDocuments(manifest)) {
    const o = doc.toJS() as { kind?: unknown; items?: unknown } | null;
    if (o && typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) o.items.forEach(add);
    else add(o);
  }
  return out;
}

export const refName = (r: WorkloadRef) => `${r.kind} ${r.namespace}/${r.name}`;

/** Why one object is not healthy yet, or undefined when it is; `live` undefined = not found. */
export function objectProblem(kind: HealthKind, live: LiveWorkload | undefined): string | undefined {
  if (!live) return "not found";
  const gen = live.metadata?.generation ?? 0;
  const st = live.status ?? {};
  const unobserved = (st.observedGeneration ?? 0) < gen ? `generation ${gen} not yet observed (observed ${st.observedGeneration ?? 0})` : undefined;
  switch (kind) {
    case "Deployment": {
      if (unobserved) return unobserved;
      const want = live.spec?.replicas ?? 1;
      const stalled = st.conditions?.some((c) => c.type === "Progressing" && c.status === "False" && c.reason === "ProgressDeadlineExceeded") ? " (progress deadline exceeded)" : "";
      if ((st.availableReplicas ?? 0) < want) return `${st.availableReplicas ?? 0}/${want} available${stalled}`;
      if ((st.updatedReplicas ?? 0) < want) return `${st.updatedReplicas ?? 0}/${want} updated${stalled}`;
      const old = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
      if (old > 0) return `${old} old replica${old === 1 ? "" : "s"} pending termination`;
      return undefined;
    }
    case "StatefulSet": {
      if (unobserved) return unobserved;
      const want = live.spec?.replicas ?? 1;
      if ((st.readyReplicas ?? 0) < want) return `${st.readyReplicas ?? 0}/${want} ready`;
      if (live.spec?.updateStrategy?.type === "OnDelete") return undefined;
      // A partitioned rollout updates only the replicas at or above the partition.
      const partition = live.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
      if ((st.updatedReplicas ?? 0) < want - partition) return `${st.updatedReplicas ?? 0}/${want - partition} updated`;
      if (partition === 0 && st.currentRevision && st.updateRevision && st.currentRevision !== st.updateRevision) return `revision ${st.updateRevision} rolling out (current ${st.currentRevision})`;
      return undefined;
    }
    case "DaemonSet": {
      if (unobserved) return unobserved;
      const want = st.desiredNumberScheduled ?? 0;
      if ((st.numberAvailable ?? 0) < want) return `${st.numberAvailable ?? 0}/${want} available`;
      if ((st.updatedNumberScheduled ?? 0) < want) return `${st.updatedNumberScheduled ?? 0}/${want} updated`;
      return undefined;
    }
    case "Job": {
      if ((st.succeeded ?? 0) > 0) return undefined;
      const failed = st.conditions?.find((c) => c.type === "Failed" && c.status === "True");
      if (failed) return `failed${failed.reason ? ` (${failed.reason})` : ""}`;
      if ((st.failed ?? 0) > 0) return `failed ${st.failed} time${st.failed === 1 ? "" : "s"}, retrying`;
      return "running";
    }
  }
}

/** What an object's health says when it is healthy (`2/2 available`): for a release of one workload, and an object's state. */
export function healthySummary(kind: HealthKind, live: LiveWorkload): string {
  const st = live.status ?? {};
  switch (kind) {
    case "Deployment":
      return `${st.availableReplicas ?? 0}/${live.spec?.replicas ?? 1} available`;
    case "StatefulSet":
      return `${st.readyReplicas ?? 0}/${live.spec?.replicas ?? 1} ready`;
    case "DaemonSet":
      return `${st.numberAvailable ?? 0}/${st.desiredNumberScheduled ?? 0} available`;
    case "Job":
      return "complete";
  }
}

/** A release's health from its workloads (manifest order) and their live objects. */
export function releaseHealth(objects: ReadonlyArray<{ ref: WorkloadRef; live: LiveWorkload | undefined }>): Health {
  if (objects.length === 0) return { healthy: true, message: "no workloads" };
  for (const { ref, live } of objects) {
    const problem = objectProblem(ref.kind, live);
    if (problem) return { healthy: false, message: `${refName(ref)}: ${problem}` };
  }
  const scalable = objects.filter((o) => o.ref.kind === "Deployment" || o.ref.kind === "StatefulSet");
  if (scalable.length > 0 && scalable.every((o) => o.live?.spec?.replicas === 0)) {
    return { healthy: true, scaledToZero: true, message: `scaled to zero (${scalable.map((o) => refName(o.ref)).join(", ")})` };
  }
  if (objects.length === 1) return { healthy: true, message: `${refName(objects[0]!.ref)}: ${healthySummary(objects[0]!.ref.kind, objects[0]!.live!)}` };
  return { healthy: true, message: `${objects.length} workloads ready` };
}
