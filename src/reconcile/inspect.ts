// What a person asks of one release on one cluster (the API's per-release
// routes call these directly): its objects with live status, its pods, their
// Events, a container's logs, and a rollout restart. The deployed manifest
// (Helm's storage) says what the release is; only its objects, their pods and
// those pods' containers are ever read. A release whose Project impersonates is
// read and restarted as that identity, so the API server's RBAC decides; the
// restart's record is written by berth, as every record is.
import { BerthError, KubeError } from "../errors.ts";
import type { KubeClient } from "../adapters/kube.ts";
import type { ObjectRef, LiveObject } from "../adapters/kube/release-objects.ts";
import { podOwnersOf, type PodSummary } from "../adapters/kube/release-pods.ts";
import { newestFirst, type EventSummary, type InvolvedRef } from "../adapters/kube/release-events.ts";
import { isRestartable, type RestartTarget } from "../adapters/kube/restart.ts";
import type { Logger } from "../log.ts";
import type { ReleaseProject, ReleaseSpec } from "../model/types.ts";
import type { Actor } from "./actor.ts";
import type { ClusterTarget } from "./cluster.ts";
import { appendRecord } from "./correct-drift.ts";
import { parseManifest } from "./drift.ts";
import type { ActionRecord } from "./memo.ts";

/** The cluster side: berth's client, and its clients acting as a Project's identity. */
export type InspectTarget = Pick<ClusterTarget, "name" | "paused" | "kube" | "as">;

/** The release asked about: where it is on the cluster, and what git declares of it now (its Project decides who reads). */
export interface InspectedRelease {
  name: string;
  namespace: string;
  application?: string;
  project?: ReleaseProject;
}

/**
 * The release found on the cluster (manual.ts findRelease), with git's entry for it when git places
 * that release there now (same name and namespace); an orphan has none, and is read as berth.
 */
export function inspectedRelease(found: { name: string; namespace: string }, desired?: Pick<ReleaseSpec, "name" | "namespace" | "application" | "project">): InspectedRelease {
  const same = desired && desired.name === found.name && desired.namespace === found.namespace ? desired : undefined;
  return {
    name: found.name,
    namespace: found.namespace,
    ...(same?.application ? { application: same.application } : {}),
    ...(same?.project ? { project: same.project } : {}),
  };
}

/** What every answer names. */
export interface ReleaseAnswer {
  cluster: string;
  release: string;
  namespace: string;
  /** The deployed Helm revision whose manifest was read; absent when nothing is deployed. */
  revision?: number;
}

export interface ObjectsAnswer extends ReleaseAnswer {
  /** In manifest order. */
  objects: LiveObject[];
}

export interface PodsAnswer extends ReleaseAnswer {
  /** By workload (manifest order), then name. */
  pods: PodSummary[];
}

export interface EventsAnswer extends ReleaseAnswer {
  /** Newest first. */
  events: EventSummary[];
  /** There were more than the limit. */
  truncated: boolean;
}

export interface LogsRequest {
  pod: string;
  /** Default: the pod's default container (its kubectl.kubernetes.io/default-container annotation, else the first). */
  container?: string;
  /** Lines from the end; default LOG_BOUNDS.tail. */
  tail?: number;
  /** The container's previous (terminated) run. */
  previous?: boolean;
  /** Default LOG_BOUNDS.bytes (read) or LOG_BOUNDS.followBytes (follow). */
  limitBytes?: number;
  sinceSeconds?: number;
}

export interface LogsAnswer extends ReleaseAnswer {
  pod: string;
  container: string;
  previous: boolean;
  text: string;
  /** The text reached limitBytes: older lines may be missing. */
  truncated: boolean;
}

export interface FollowRequest extends LogsRequest {
  /** The caller's end (the client went away): the stream ends without an error. */
  signal: AbortSignal;
  /** Default LOG_BOUNDS.followMs. */
  maxMs?: number;
}

export interface LogStream extends ReleaseAnswer {
  pod: string;
  container: string;
  previous: boolean;
  /** Text as the container writes it; ends at the signal, the end of the log, or a bound. */
  chunks: AsyncIterable<string>;
}

/** The bounds of a log request: defaults, and the most a request may ask. */
export const LOG_BOUNDS = {
  tail: 500,
  maxTail: 10_000,
  bytes: 512 * 1024,
  maxBytes: 8 * 1024 * 1024,
  followBytes: 16 * 1024 * 1024,
  followMs: 30 * 60_000,
  maxFollowMs: 4 * 60 * 60_000,
} as const;

export const EVENT_BOUNDS = { limit: 100, maxLimit: 1_000 } as const;

export interface RestartOptions {
  /** One workload, as `Kind/name` or its name; absent: every Deployment, StatefulSet and DaemonSet of the release. */
  workload?: string;
  /** Who asked (the API token's name and role). */
  actor?: Actor;
  /** The revision berth serves, kept in the record. */
  commit: string;
  log: Logger;
  /** The time written into the pod templates; default now. */
  now?: Date;
}

/** The client to read and act with: the Project's identity when it impersonates, else berth's. */
function clientFor(target: InspectTarget, rel: InspectedRelease, doing: string): KubeClient {
  const who = rel.project?.impersonate;
  if (!who) return target.kube;
  if (!target.as) {
    throw new BerthError("ACTION_FAILED", `release ${rel.name} belongs to Project ${rel.project!.name}, which acts as ${who.user}, and berth's clients for cluster ${target.name} cannot impersonate; nothing was ${doing}`);
  }
  return target.as(who).kube;
}

/** A cluster failure, with the release it was about. */
async function about<T>(rel: InspectedRelease, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof KubeError)) throw err;
    const rest = err.message.startsWith(`cluster ${err.cluster}: `) ? err.message.slice(`cluster ${err.cluster}: `.length) : err.message;
    throw new KubeError(err.cluster, `release ${rel.namespace}/${rel.name}: ${rest}`, { cause: err });
  }
}

interface Manifest {
  revision?: number;
  objects: ObjectRef[];
}

/** The objects of the release's deployed manifest (never their content: a Secret's data is in it). */
async function manifestOf(kube: KubeClient, rel: InspectedRelease): Promise<Manifest> {
  const deployed = await kube.readManifest(rel.namespace, rel.name);
  if (!deployed) return { objects: [] };
  const objects = parseManifest(deployed.manifest, rel.namespace).map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    name: o.metadata.name,
  }));
  return { revision: deployed.revision, objects };
}

const answer = (target: InspectTarget, rel: InspectedRelease, m: Manifest): ReleaseAnswer => ({
  cluster: target.name,
  release: rel.name,
  namespace: rel.namespace,
  ...(m.revision !== undefined ? { revision: m.revision } : {}),
});

export async function releaseObjects(target: InspectTarget, rel: InspectedRelease): Promise<ObjectsAnswer> {
  const kube = clientFor(target, rel, "read");
  return about(rel, async () => {
    const m = await manifestOf(kube, rel);
    return { ...answer(target, rel, m), objects: await kube.objectStatuses(m.objects) };
  });
}

export async function releasePods(target: InspectTarget, rel: InspectedRelease): Promise<PodsAnswer> {
  const kube = clientFor(target, rel, "read");
  return about(rel, async () => {
    const m = await manifestOf(kube, rel);
    const { pods } = await kube.workloadPods(podOwnersOf(m.objects, rel.namespace));
    return { ...answer(target, rel, m), pods };
  });
}

/** Pure: a whole number within [min, max], or `fallback` when absent; else INVALID_INPUT saying what would be right. */
export function bounded(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new BerthError("INVALID_INPUT", `${name} must be a whole number from ${min} to ${max}, not ${value}`);
  return value;
}

export async function releaseEvents(target: InspectTarget, rel: InspectedRelease, o: { limit?: number } = {}): Promise<EventsAnswer> {
  const limit = bounded("limit", o.limit, EVENT_BOUNDS.limit, 1, EVENT_BOUNDS.maxLimit);
  const kube = clientFor(target, rel, "read");
  return about(rel, async () => {
    const m = await manifestOf(kube, rel);
    const { pods, controllers } = await kube.workloadPods(podOwnersOf(m.objects, rel.namespace));
    // Events live in the namespace of their object; a cluster-scoped object's are left out.
    const byNamespace = new Map<string, InvolvedRef[]>();
    const add = (ns: string | undefined, r: InvolvedRef) => ns && byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), r]);
    for (const x of [...m.objects, ...controllers]) add(x.namespace, { kind: x.kind, name: x.name });
    for (const p of pods) add(p.namespace, { kind: "Pod", name: p.name });
    const pages = await Promise.all([...byNamespace].map(([ns, involved]) => kube.objectEvents(ns, involved, limit)));
    // Each page is already newest first and bounded; merged, bounded again.
    const merged = pages.flatMap((p) => p.events);
    const events = merged.sort(newestFirst).slice(0, limit);
    return { ...answer(target, rel, m), events, truncated: pages.some((p) => p.truncated) || merged.length > limit };
  });
}

/** The release's pod `name`, or INVALID_INPUT: a pod outside the release is never read, whatever its name. */
async function podOfRelease(kube: KubeClient, target: InspectTarget, rel: InspectedRelease, name: string): Promise<{ m: Manifest; pod: PodSummary }> {
  const m = await manifestOf(kube, rel);
  const { pods } = await kube.workloadPods(podOwnersOf(m.objects, rel.namespace));
  const pod = pods.find((p) => p.name === name);
  if (!pod) {
    const have = pods.map((p) => p.name).join(", ");
    throw new BerthError("INVALID_INPUT", `pod ${name} is not one of release ${rel.namespace}/${rel.name}'s pods on cluster ${target.name}; ${have ? `its pods are ${have}` : "it has no pods"}`);
  }
  return { m, pod };
}

function containerOf(pod: PodSummary, asked: string | undefined, target: InspectTarget): string {
  const name = asked ?? pod.defaultContainer;
  if (!pod.containers.some((c) => c.name === name)) {
    throw new BerthError("INVALID_INPUT", `pod ${pod.namespace}/${pod.name} on cluster ${target.name} has no container ${name}; it has ${pod.containers.map((c) => c.name).join(", ") || "none"}`);
  }
  return name;
}

export async function podLogs(target: InspectTarget, rel: InspectedRelease, r: LogsRequest & { timeoutMs?: number }): Promise<LogsAnswer> {
  const tail = bounded("tail", r.tail, LOG_BOUNDS.tail, 1, LOG_BOUNDS.maxTail);
  const limitBytes = bounded("limitBytes", r.limitBytes, LOG_BOUNDS.bytes, 1, LOG_BOUNDS.maxBytes);
  const sinceSeconds = r.sinceSeconds === undefined ? undefined : bounded("sinceSeconds", r.sinceSeconds, 0, 1, 366 * 86_400);
  const kube = clientFor(target, rel, "read");
  return about(rel, async () => {
    const { m, pod } = await podOfRelease(kube, target, rel, r.pod);
    const container = containerOf(pod, r.container, target);
    const text = await kube.readPodLog(
      { namespace: pod.namespace, pod: pod.name, container, tail, limitBytes, ...(r.previous ? { previous: true } : {}), ...(sinceSeconds ? { sinceSeconds } : {}), ...(pod.node ? { node: pod.node } : {}) },
      r.timeoutMs,
    );
    return { ...answer(target, rel, m), pod: pod.name, container, previous: Boolean(r.previous), text, truncated: Buffer.byteLength(text) >= limitBytes };
  });
}

/** Resolves once the log is being served (every refusal and failure comes before any text); see LogStream. */
export async function followPodLogs(target: InspectTarget, rel: InspectedRelease, r: FollowRequest): Promise<LogStream> {
  const tail = bounded("tail", r.tail, LOG_BOUNDS.tail, 1, LOG_BOUNDS.maxTail);
  const limitBytes = bounded("limitBytes", r.limitBytes, LOG_BOUNDS.followBytes, 1, LOG_BOUNDS.followBytes);
  const maxMs = bounded("maxMs", r.maxMs, LOG_BOUNDS.followMs, 1, LOG_BOUNDS.maxFollowMs);
  const sinceSeconds = r.sinceSeconds === undefined ? undefined : bounded("sinceSeconds", r.sinceSeconds, 0, 1, 366 * 86_400);
  const kube = clientFor(target, rel, "read");
  return about(rel, async () => {
    const { m, pod } = await podOfRelease(kube, target, rel, r.pod);
    const container = containerOf(pod, r.container, target);
    const chunks = await kube.followPodLog({
      namespace: pod.namespace,
      pod: pod.name,
      container,
      tail,
      limitBytes,
      ...(r.previous ? { previous: true } : {}),
      ...(sinceSeconds ? { sinceSeconds } : {}),
      ...(pod.node ? { node: pod.node } : {}),
      signal: r.signal,
      maxMs,
    });
    return { ...answer(target, rel, m), pod: pod.name, container, previous: Boolean(r.previous), chunks };
  });
}

/** Pure: the workloads a restart stamps: the one asked for (`Kind/name` or a name), else every restartable one. */
export function restartTargets(objects: readonly ObjectRef[], releaseNamespace: string, asked: string | undefined, release: string): RestartTarget[] {
  const all = objects.flatMap((o) =>
    isRestartable(o.kind) && o.apiVersion.startsWith("apps/") ? [{ kind: o.kind, namespace: o.namespace ?? releaseNamespace, name: o.name }] : [],
  );
  const shown = (t: RestartTarget) => `${t.kind}/${t.name}`;
  if (asked === undefined) {
    if (all.length === 0) throw new BerthError("INVALID_INPUT", `release ${release} has no Deployment, StatefulSet or DaemonSet to restart`);
    return all;
  }
  const picked = all.filter((t) => shown(t) === asked || t.name === asked);
  if (picked.length === 1) return picked;
  const have = all.map(shown).join(", ") || "none";
  if (picked.length > 1) throw new BerthError("INVALID_INPUT", `release ${release} has several workloads named ${asked} (${picked.map(shown).join(", ")}); name one as Kind/name`);
  throw new BerthError("INVALID_INPUT", `release ${release} has no workload ${asked} to restart; it has ${have}`);
}

/**
 * A rollout restart (as `kubectl rollout restart`) of the release's
 * workloads, recorded in its history with who asked. Refused before any
 * change on a paused cluster, for a workload the release does not have, or
 * when nothing is deployed; a failure on the cluster is in the record
 * (result failed), which is returned either way.
 */
export async function restartRelease(target: InspectTarget, rel: InspectedRelease, o: RestartOptions): Promise<ActionRecord> {
  if (target.paused) throw new BerthError("ACTION_FAILED", `cluster ${target.name} is paused: berth changes nothing on it; nothing was restarted`);
  const kube = clientFor(target, rel, "restarted");
  // the record's time is the one written into the pod templates
  const at = o.now ?? new Date();
  const started = at.getTime();
  const m = await about(rel, () => manifestOf(kube, rel));
  if (m.revision === undefined) throw new BerthError("INVALID_INPUT", `release ${rel.namespace}/${rel.name} has no deployed revision on cluster ${target.name}; nothing to restart`);
  const targets = restartTargets(m.objects, rel.namespace, o.workload, `${rel.namespace}/${rel.name}`);
  const restarted: string[] = [];
  const errors: string[] = [];
  for (const t of targets) {
    try {
      await kube.restartWorkload(t, at);
      restarted.push(`${t.kind}/${t.name}`);
    } catch (err) {
      errors.push(`${t.kind}/${t.name}: ${(err as Error).message}`);
    }
  }
  const record: ActionRecord = {
    at: new Date(started).toISOString(),
    commit: o.commit,
    cluster: target.name,
    release: rel.name,
    namespace: rel.namespace,
    ...(rel.application ? { application: rel.application } : {}),
    action: "restart",
    steps: [],
    result: errors.length ? "failed" : "succeeded",
    ...(errors.length ? { error: errors.join("; ") } : {}),
    helmRevision: m.revision,
    durationMs: Date.now() - started,
    restarted,
    ...(o.actor ? { actor: o.actor } : {}),
  };
  // berth's own identity writes its records, whoever acted.
  await about(rel, () => appendRecord(target.kube, rel.namespace, rel.name, record));
  o.log.info({ cluster: target.name, release: rel.name, namespace: rel.namespace, action: "restart", result: record.result, restarted, ...(o.actor ? { actor: o.actor.name } : {}) }, "restarted");
  return record;
}
