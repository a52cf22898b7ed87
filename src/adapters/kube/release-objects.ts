// The live state of a release's objects: each object of its deployed manifest
// (reconcile/inspect.ts reads the manifest, as drift does) fetched with one GET
// and judged where Kubernetes defines readiness — workloads by the health
// rules berth waits on (plan/health-rules.ts), a claim by being Bound, a
// LoadBalancer Service by its address. Everything else only exists or not.
// A Secret is read as metadata only: its data never leaves the API server.
import * as k8s from "@kubernetes/client-node";
import pLimit from "p-limit";
import { allOf } from "../../enum.ts";
import { healthySummary, objectProblem, WORKLOAD_KINDS, type HealthKind, type LiveWorkload } from "../../plan/health-rules.ts";
import { httpStatus, type Call } from "./call.ts";

/** One object as a manifest names it; `namespace` absent for a cluster-scoped one. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * ready / progressing / failed: the kind has a readiness Kubernetes defines;
 * exists: it has none, and the object is there; missing: not found;
 * unknown: it could not be read (forbidden, a kind the cluster no longer serves).
 */
export type ObjectState = "ready" | "progressing" | "failed" | "exists" | "missing" | "unknown";
export const OBJECT_STATES = allOf<ObjectState>()(["ready", "progressing", "failed", "exists", "missing", "unknown"]);

export interface LiveObject extends ObjectRef {
  state: ObjectState;
  /** What the state rests on: `2/3 available`, `Bound`, `complete`, `ClusterIP 10.96.0.12`, why it could not be read. */
  message?: string;
  /** When the live object was created. */
  createdAt?: string;
}

export interface ObjectStatusReader {
  /** The live state of each object, in the order given; one object that cannot be read is `unknown`, not a failure of all. */
  objectStatuses(refs: readonly ObjectRef[]): Promise<LiveObject[]>;
}

/** The fields of a live object the rules read (plain JSON). */
interface Live {
  metadata?: { creationTimestamp?: string | Date };
  spec?: { type?: string; clusterIP?: string; replicas?: number };
  status?: {
    phase?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> };
    succeeded?: number;
  };
}

const GROUP: Record<HealthKind, string> = { Deployment: "apps", StatefulSet: "apps", DaemonSet: "apps", Job: "batch" };
const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

/** The workload kind of the health rules, when `ref` is one of the built-in ones (a CRD may call its kind Deployment too). */
export function healthKind(ref: Pick<ObjectRef, "apiVersion" | "kind">): HealthKind | undefined {
  const kind = WORKLOAD_KINDS.find((k) => k === ref.kind);
  return kind && groupOf(ref.apiVersion) === GROUP[kind] ? kind : undefined;
}

const isCore = (ref: Pick<ObjectRef, "apiVersion">) => ref.apiVersion === "v1";

/** Kinds read whole (their status decides); every other kind is read for its existence. */
export const hasReadiness = (ref: Pick<ObjectRef, "apiVersion" | "kind">) =>
  healthKind(ref) !== undefined || (isCore(ref) && (ref.kind === "PersistentVolumeClaim" || ref.kind === "Service" || ref.kind === "Pod"));

/** Pure: the state of one object from its live JSON (`undefined`: not found). */
export function objectState(ref: Pick<ObjectRef, "apiVersion" | "kind">, live: unknown): { state: ObjectState; message?: string } {
  if (live === undefined || live === null) return { state: "missing", message: "not found" };
  const o = live as Live;
  const kind = healthKind(ref);
  if (kind) return workloadState(kind, o);
  if (!isCore(ref)) return { state: "exists" };
  const st = o.status ?? {};
  switch (ref.kind) {
    case "PersistentVolumeClaim": {
      const phase = st.phase ?? "Pending";
      return { state: phase === "Bound" ? "ready" : phase === "Lost" ? "failed" : "progressing", message: phase };
    }
    case "Service": {
      const type = o.spec?.type ?? "ClusterIP";
      if (type !== "LoadBalancer") return { state: "exists", message: [type, o.spec?.clusterIP].filter(Boolean).join(" ") };
      const addr = (st.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname).filter(Boolean);
      return addr.length ? { state: "ready", message: `LoadBalancer ${addr.join(", ")}` } : { state: "progressing", message: "LoadBalancer: no address yet" };
    }
    case "Pod": {
      const phase = st.phase ?? "Pending";
      if (phase === "Succeeded") return { state: "ready", message: "Succeeded" };
      if (phase === "Failed") return { state: "failed", message: "Failed" };
      const ready = st.conditions?.some((c) => c.type === "Ready" && c.status === "True");
      return { state: ready ? "ready" : "progressing", message: ready ? `${phase}, Ready` : phase };
    }
    default:
      return { state: "exists" };
  }
}

function workloadState(kind: HealthKind, live: Live): { state: ObjectState; message: string } {
  const problem = objectProblem(kind, live as LiveWorkload);
  const st = live.status ?? {};
  const cond = (type: string) => st.conditions?.find((c) => c.type === type && c.status !== undefined);
  if (problem === undefined) return { state: "ready", message: healthySummary(kind, live as LiveWorkload) };
  // failed: what will not get better by waiting — a Job out of retries, a Deployment past its progress deadline
  if (kind === "Job" && cond("Failed")?.status === "True") return { state: "failed", message: problem };
  if (kind === "Deployment" && cond("Progressing")?.status === "False" && cond("Progressing")?.reason === "ProgressDeadlineExceeded") return { state: "failed", message: problem };
  return { state: "progressing", message: problem };
}

const createdAt = (live: unknown): string | undefined => {
  const t = (live as Live | undefined)?.metadata?.creationTimestamp;
  return t === undefined ? undefined : new Date(t).toISOString();
};

/**
 * Asks the API server for a Secret's metadata only (PartialObjectMetadata):
 * enough to say it exists, and its data never crosses the wire.
 */
const METADATA_ONLY: k8s.ConfigurationOptions = {
  middleware: [
    {
      pre: (ctx) => {
        ctx.setHeaderParam("Accept", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json;q=0.9");
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    },
  ],
  middlewareMergeStrategy: "append",
};

export interface ObjectStatusOptions {
  core: k8s.CoreV1Api;
  objects: k8s.KubernetesObjectApi;
  call: Call;
  /** Parallel reads per call; default 4. */
  concurrency?: number;
}

export const refName = (r: ObjectRef) => `${r.kind} ${r.namespace ? `${r.namespace}/` : ""}${r.name}`;

export function objectStatusReader(o: ObjectStatusOptions): ObjectStatusReader {
  const { core, objects, call } = o;

  async function read(ref: ObjectRef): Promise<unknown> {
    const what = `read ${refName(ref)}`;
    try {
      if (isCore(ref) && ref.kind === "Secret") {
        const namespace = ref.namespace ?? "default";
        const s = await call(what, () => core.readNamespacedSecret({ name: ref.name, namespace }, METADATA_ONLY));
        // only metadata was asked for; nothing else is kept even if a server sent more
        return { metadata: s.metadata };
      }
      const got = await call(what, () => objects.read({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } }));
      // Class instances with Dates -> the plain JSON the API server sent; only what the rules read is kept.
      const plain = JSON.parse(JSON.stringify(got)) as Live;
      return hasReadiness(ref) ? { metadata: { creationTimestamp: plain.metadata?.creationTimestamp }, spec: plain.spec, status: plain.status } : { metadata: { creationTimestamp: plain.metadata?.creationTimestamp } };
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  return {
    async objectStatuses(refs) {
      const limit = pLimit(o.concurrency ?? 4);
      return Promise.all(
        refs.map((ref) =>
          limit(async (): Promise<LiveObject> => {
            const id: ObjectRef = { apiVersion: ref.apiVersion, kind: ref.kind, ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name };
            try {
              const live = await read(ref);
              const at = createdAt(live);
              return { ...id, ...objectState(ref, live), ...(at ? { createdAt: at } : {}) };
            } catch (err) {
              return { ...id, state: "unknown", message: (err as Error).message };
            }
          }),
        ),
      );
    },
  };
}
