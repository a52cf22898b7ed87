// The pods of a release's workloads. Each workload's pods are listed by its own
// selector and kept only when their controller chain leads to it by uid
// (Deployment -> ReplicaSet -> Pod, CronJob -> Job -> Pod, StatefulSet,
// DaemonSet or Job -> Pod): a selector alone can match another workload's pods,
// and which pods belong to a release is what decides whose logs may be read.
import type * as k8s from "@kubernetes/client-node";
import pLimit from "p-limit";
import { httpStatus, type Call } from "./call.ts";
import type { ObjectRef } from "./release-objects.ts";

/** The kinds whose pods a release has: its built-in workloads, and a bare Pod in its manifest. */
export const POD_OWNER_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"] as const;
export type PodOwnerKind = (typeof POD_OWNER_KINDS)[number];

export interface PodOwnerRef {
  kind: PodOwnerKind;
  namespace: string;
  name: string;
}

export interface ContainerSummary {
  name: string;
  image: string;
  /** An init container (runs before the others, to completion). */
  init?: true;
  ready: boolean;
  restarts: number;
  /** running, waiting (reason), terminated (reason, exit code). */
  state: string;
  /** The last run ended (what `previous` logs read): reason and exit code. */
  lastTerminated?: string;
}

export interface PodSummary {
  name: string;
  namespace: string;
  /** Pending, Running, Succeeded, Failed, Unknown. */
  phase: string;
  /** As kubectl's STATUS column words it: Running, CrashLoopBackOff, Init:0/1, Completed, Terminating. */
  status: string;
  /** Ready containers of all (`1/2`). */
  ready: string;
  /** Restarts of all its containers. */
  restarts: number;
  node?: string;
  images: string[];
  /** Creation time (its age). */
  createdAt?: string;
  /** Its controller: a ReplicaSet, Job, StatefulSet or DaemonSet; absent for a bare Pod. */
  owner?: { kind: string; name: string };
  /** The release's object it belongs to (the Deployment above its ReplicaSet). */
  workload: { kind: PodOwnerKind; name: string };
  /** The container logs are read from when none is named (kubectl's default-container annotation, else the first). */
  defaultContainer: string;
  containers: ContainerSummary[];
}

export interface WorkloadPods {
  pods: PodSummary[];
  /** The objects between a workload and its pods (ReplicaSets, a CronJob's Jobs): their events belong to the release too. */
  controllers: ObjectRef[];
}

export interface ReleasePods {
  /** The pods of these workloads (a release's), each kept only when its controller chain leads to one of them. */
  workloadPods(workloads: readonly PodOwnerRef[]): Promise<WorkloadPods>;
}

const OWNER_GROUP: Record<PodOwnerKind, string> = { Deployment: "apps", StatefulSet: "apps", DaemonSet: "apps", Job: "batch", CronJob: "batch", Pod: "" };

/** Pure: the objects among a release's that own pods (built-in groups only: a CRD may call its kind Deployment too). */
export function podOwnersOf(objects: readonly ObjectRef[], releaseNamespace: string): PodOwnerRef[] {
  return objects.flatMap((o) => {
    const kind = POD_OWNER_KINDS.find((k) => k === o.kind);
    const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
    return kind && group === OWNER_GROUP[kind] ? [{ kind, namespace: o.namespace ?? releaseNamespace, name: o.name }] : [];
  });
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** Pure: a LabelSelector as the `labelSelector` query parameter (`a=b,c in (d,e),!f`); "" selects everything. */
export function selectorString(s: Selector | undefined): string {
  const parts = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s?.matchExpressions ?? []) {
    const values = `(${[...(e.values ?? [])].sort().join(",")})`;
    if (e.operator === "In") parts.push(`${e.key} in ${values}`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin ${values}`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

type OwnerReference = { kind?: string; name?: string; uid?: string; controller?: boolean };
type Meta = { name?: string; namespace?: string; uid?: string; ownerReferences?: OwnerReference[]; annotations?: Record<string, string>; creationTimestamp?: Date | string; deletionTimestamp?: Date | string };

/** Pure: the controller owner reference of an object, if any. */
export const controllerOf = (meta: Meta | undefined): OwnerReference | undefined => meta?.ownerReferences?.find((r) => r.controller === true);

type State = { running?: object; waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number } };
type Status = { name: string; image?: string; ready?: boolean; restartCount?: number; state?: State; lastState?: State };

/** The fields of a Pod the summary reads (client-node's V1Pod or plain JSON). */
export interface PodLike {
  metadata?: Meta;
  spec?: { nodeName?: string; containers?: Array<{ name: string; image?: string }>; initContainers?: Array<{ name: string; image?: string }> };
  status?: { phase?: string; reason?: string; containerStatuses?: Status[]; initContainerStatuses?: Status[] };
}

const DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";

function stateText(s: State | undefined): string {
  if (s?.running) return "running";
  if (s?.waiting) return `waiting${s.waiting.reason ? ` (${s.waiting.reason})` : ""}`;
  if (s?.terminated) return `terminated (${terminatedText(s.terminated)})`;
  return "waiting";
}

const terminatedText = (t: NonNullable<State["terminated"]>) => `${t.reason ?? (t.signal ? `signal ${t.signal}` : "exit")}, exit code ${t.exitCode ?? "?"}`;

/** Pure: kubectl's STATUS column for a pod (pkg/printers/internalversion's printPod, simplified). */
export function podStatusText(pod: PodLike): string {
  const st = pod.status ?? {};
  let reason = st.reason ?? st.phase ?? "Unknown";
  const inits = st.initContainerStatuses ?? [];
  const initTotal = pod.spec?.initContainers?.length ?? inits.length;
  let initializing = false;
  for (const [i, c] of inits.entries()) {
    const t = c.state?.terminated;
    if (t && t.exitCode === 0) continue;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== "PodInitializing") reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${initTotal}`;
    break;
  }
  if (!initializing) {
    let running = false;
    for (const c of [...(st.containerStatuses ?? [])].reverse()) {
      const w = c.state?.waiting?.reason;
      const t = c.state?.terminated;
      if (w) reason = w;
      else if (t) reason = t.reason ?? (t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`);
      else if (c.state?.running && c.ready) running = true;
    }
    if (reason === "Completed" && running) reason = "Running";
  }
  if (pod.metadata?.deletionTimestamp) reason = "Terminating";
  return reason;
}

/** Pure: one pod as the release view shows it. */
export function summarizePod(pod: PodLike, workload: PodSummary["workload"]): PodSummary {
  const meta = pod.metadata ?? {};
  const st = pod.status ?? {};
  const byName = new Map([...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? [])].map((c) => [c.name, c]));
  const container = (c: { name: string; image?: string }, init: boolean): ContainerSummary => {
    const s = byName.get(c.name);
    const last = s?.lastState?.terminated;
    return {
      name: c.name,
      image: s?.image ?? c.image ?? "",
      ...(init ? { init: true as const } : {}),
      ready: s?.ready ?? false,
      restarts: s?.restartCount ?? 0,
      state: stateText(s?.state),
      ...(last ? { lastTerminated: terminatedText(last) } : {}),
    };
  };
  const main = (pod.spec?.containers ?? []).map((c) => container(c, false));
  const init = (pod.spec?.initContainers ?? []).map((c) => container(c, true));
  const owner = controllerOf(meta);
  const annotated = meta.annotations?.[DEFAULT_CONTAINER];
  const created = meta.creationTimestamp;
  return {
    name: meta.name ?? "",
    namespace: meta.namespace ?? "",
    phase: st.phase ?? "Unknown",
    status: podStatusText(pod),
    ready: `${main.filter((c) => c.ready).length}/${main.length}`,
    restarts: [...main, ...init].reduce((n, c) => n + c.restarts, 0),
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    images: [...new Set(main.map((c) => c.image).filter(Boolean))],
    ...(created ? { createdAt: new Date(created).toISOString() } : {}),
    ...(owner?.kind && owner.name ? { owner: { kind: owner.kind, name: owner.name } } : {}),
    workload,
    defaultContainer: annotated && main.some((c) => c.name === annotated) ? annotated : (main[0]?.name ?? ""),
    containers: [...init, ...main],
  };
}

/** Pure: the items whose controller is one of `uids`. */
export const ownedBy = <T extends { metadata?: Meta }>(items: readonly T[], uids: ReadonlySet<string>): T[] =>
  items.filter((i) => {
    const c = controllerOf(i.metadata);
    return c?.uid !== undefined && uids.has(c.uid);
  });

export interface ReleasePodsOptions {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  batch: k8s.BatchV1Api;
  call: Call;
  concurrency?: number;
}

type Found = { pods: k8s.V1Pod[]; controllers: ObjectRef[] };
type Workload = { metadata?: Meta; spec?: { selector?: Selector } };

export function releasePods(o: ReleasePodsOptions): ReleasePods {
  const { core, apps, batch, call } = o;

  /** The live workload; undefined when it does not exist (its pods are none). */
  async function readWorkload(w: PodOwnerRef): Promise<{ metadata?: Meta } | undefined> {
    const { name, namespace } = w;
    const what = `read ${w.kind} ${namespace}/${name}`;
    try {
      switch (w.kind) {
        case "Deployment":
          return await call(what, () => apps.readNamespacedDeployment({ name, namespace }));
        case "StatefulSet":
          return await call(what, () => apps.readNamespacedStatefulSet({ name, namespace }));
        case "DaemonSet":
          return await call(what, () => apps.readNamespacedDaemonSet({ name, namespace }));
        case "Job":
          return await call(what, () => batch.readNamespacedJob({ name, namespace }));
        case "CronJob":
          return await call(what, () => batch.readNamespacedCronJob({ name, namespace }));
        case "Pod":
          return await call(what, () => core.readNamespacedPod({ name, namespace }));
      }
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  const podsBy = async (namespace: string, labelSelector: string, of: string) =>
    (await call(`list pods of ${of}`, () => core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) }))).items;

  async function find(w: PodOwnerRef): Promise<Found> {
    const live = await readWorkload(w);
    const uid = live?.metadata?.uid;
    if (!live || !uid) return { pods: [], controllers: [] };
    const ns = w.namespace;
    const of = `${w.kind} ${ns}/${w.name}`;
    if (w.kind === "Pod") return { pods: [live as k8s.V1Pod], controllers: [] };
    if (w.kind === "CronJob") {
      const jobs = ownedBy((await call(`list Jobs of ${of}`, () => batch.listNamespacedJob({ namespace: ns }))).items, new Set([uid]));
      const uids = new Set(jobs.map((j) => j.metadata!.uid!));
      // Job pods carry their Job's uid as a label (batch.kubernetes.io/controller-uid, since Kubernetes 1.27).
      const pods = uids.size ? await podsBy(ns, `batch.kubernetes.io/controller-uid in (${[...uids].sort().join(",")})`, of) : [];
      return { pods: ownedBy(pods, uids), controllers: jobs.map((j) => ({ apiVersion: "batch/v1", kind: "Job", namespace: ns, name: j.metadata!.name! })) };
    }
    const selector = selectorString((live as Workload).spec?.selector);
    // An empty selector would select every pod of the namespace: the uid check below keeps only this workload's.
    if (w.kind === "Deployment") {
      const sets = ownedBy((await call(`list ReplicaSets of ${of}`, () => apps.listNamespacedReplicaSet({ namespace: ns, ...(selector ? { labelSelector: selector } : {}) }))).items, new Set([uid]));
      const uids = new Set(sets.map((s) => s.metadata!.uid!));
      const pods = uids.size ? ownedBy(await podsBy(ns, selector, of), uids) : [];
      return { pods, controllers: sets.map((s) => ({ apiVersion: "apps/v1", kind: "ReplicaSet", namespace: ns, name: s.metadata!.name! })) };
    }
    return { pods: ownedBy(await podsBy(ns, selector, of), new Set([uid])), controllers: [] };
  }

  return {
    async workloadPods(workloads) {
      const limit = pLimit(o.concurrency ?? 4);
      const found = await Promise.all(workloads.map((w) => limit(() => find(w))));
      const seen = new Set<string>();
      const pods: PodSummary[] = [];
      found.forEach((f, i) => {
        const w = workloads[i]!;
        const mine = f.pods
          .filter((p) => {
            const key = p.metadata?.uid ?? `${p.metadata?.namespace}/${p.metadata?.name}`;
            if (seen.has(key)) return false;
            seen.add(key);
            return true;
          })
          .map((p) => summarizePod(p as PodLike, { kind: w.kind, name: w.name }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        pods.push(...mine);
      });
      return { pods, controllers: found.flatMap((f) => f.controllers) };
    },
  };
}
