// Progress of a pass, as events: the loop and each cluster say what they are
// doing while they do it; whoever passed a sink in (the CLI) draws them.
// Nothing here is global, and a sink that throws never stops a pass.
import type { ReleaseSpec } from "../model/types.ts";
import type { PlannedRelease } from "../plan/plan.ts";
import type { CheckDriftOptions, DriftReport } from "./drift-check.ts";
import type { RecordKind } from "./memo.ts";
import type { ReleaseOutcome, ReleaseResult } from "./release.ts";

/** What a pass does on a cluster: act on its releases, only read them (plan, status, and drift's first load), or check their drift. */
export type ClusterWork = "reconcile" | "read" | "drift";

/** Why something waits: a release's `dependsOn` or `requires`, or a cluster behind its applications' canary clusters. */
export type WaitVia = "dependsOn" | "requires" | "canary" | "wave";

export type ProgressEvent =
  /** Work on a cluster began (its releases are read first, except for drift). */
  | { kind: "cluster-start"; cluster: string; work: ClusterWork }
  /** What was read: how many releases the cluster has in this pass, and how many the plan acts on (would act on, in a dry run). */
  | { kind: "cluster-planned"; cluster: string; total: number; changing: number }
  /** A release (or, without one, the whole cluster) waits on others before it can start. */
  | { kind: "waiting"; cluster: string; release?: string; on: Array<{ name: string; via: WaitVia }> }
  /** A release's first action began (it had its concurrency slot and every need). */
  | { kind: "release-start"; cluster: string; release: string; action: RecordKind }
  /** A release is finished for this pass; `ms` counts from its first action (0 when it did nothing). */
  | { kind: "release-done"; cluster: string; release: string; result: ReleaseOutcome; actions: RecordKind[]; from?: string; to?: string; reason?: string; ms: number }
  /** berth drift checked one release: how many fields drifted (after any correction). */
  | { kind: "release-checked"; cluster: string; release: string; drifted: number }
  /** The cluster's part is over; `reachable` false: nothing on it could be read, for `error`. */
  | { kind: "cluster-done"; cluster: string; reachable: boolean; error?: string; ms: number };

export type ProgressSink = (event: ProgressEvent) => void;

/** The sink the reconciler calls: a no-op without one, and never throws into the pass. */
export function progressSink(sink: ProgressSink | undefined): ProgressSink {
  if (!sink) return () => {};
  return (event) => {
    try {
      sink(event);
    } catch {
      // drawing progress must not fail a reconcile
    }
  };
}

/** The event of a finished release, from its result. */
export function releaseDone(cluster: string, r: ReleaseResult, ms: number): ProgressEvent {
  const from = r.records.find((x) => x.fromVersion)?.fromVersion;
  const to = r.records.findLast((x) => x.toVersion)?.toVersion;
  return {
    kind: "release-done",
    cluster,
    release: r.name,
    result: r.outcome,
    actions: r.records.map((x) => x.action),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    ...(r.outcome === "failed" || r.outcome === "blocked" ? { reason: r.reason } : {}),
    ms,
  };
}

/** What a release waits on among `needs` not finished yet, each with the edge it came from; undefined when nothing. */
export function waitingOn(cluster: string, r: PlannedRelease, finished: (name: string) => boolean): ProgressEvent | undefined {
  const on = r.needs.filter((n) => !finished(n)).map((name) => ({ name, via: (r.desired?.dependsOn.includes(name) ? "dependsOn" : "requires") as WaitVia }));
  return on.length ? { kind: "waiting", cluster, release: r.name, on } : undefined;
}

/**
 * Runs one cluster's part of a pass between cluster-start and cluster-done.
 * `ended` says how it went, from what the work returned.
 */
export async function trackCluster<T>(
  emit: ProgressSink,
  cluster: string,
  work: ClusterWork,
  run: () => Promise<T>,
  ended: (result: T) => { reachable: boolean; error?: string },
): Promise<{ result: T; ms: number }> {
  const t0 = Date.now();
  emit({ kind: "cluster-start", cluster, work });
  const result = await run();
  const ms = Date.now() - t0;
  const e = ended(result);
  emit({ kind: "cluster-done", cluster, reachable: e.reachable, ...(e.error ? { error: e.error } : {}), ms });
  return { result, ms };
}

type DriftHook = NonNullable<CheckDriftOptions["onDrift"]>;

/**
 * `berth drift` on one cluster, counted as it goes: the releases it will check
 * (every one but External stand-ins, as checkDrift does), then each checked
 * release as drift-check reports it through onDrift (beside the caller's own hook).
 */
export async function trackDrift(
  emit: ProgressSink,
  cluster: string,
  desired: ReleaseSpec[],
  onDrift: DriftHook | undefined,
  check: (desired: ReleaseSpec[], onDrift: DriftHook) => Promise<DriftReport[]>,
): Promise<DriftReport[]> {
  const hook: DriftHook = (c, release, count) => {
    onDrift?.(c, release, count);
    emit({ kind: "release-checked", cluster: c, release, drifted: count });
  };
  const { result } = await trackCluster(
    emit,
    cluster,
    "drift",
    () => {
      emit({ kind: "cluster-planned", cluster, total: desired.filter((r) => r.workloadKind !== "External").length, changing: 0 });
      return check(desired, hook);
    },
    // an unreachable cluster comes back as its error on every release
    (reports) => (reports.length > 0 && reports.every((r) => r.error !== undefined && r.corrected === undefined) ? { reachable: false, error: reports[0]!.error! } : { reachable: true }),
  );
  return result;
}
