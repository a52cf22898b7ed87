// What the HTTP side knows of the loop: the latest run, the latest status
// snapshot (with its dry-run plan), whether this replica leads. The loop
// writes it; the handlers only read it, so a slow request never waits on helm.
import type { DriftRun, RunReport } from "../reconcile/loop.ts";
import type { StatusSnapshot } from "../reconcile/status.ts";
import type { ShardView } from "../reconcile/shards.ts";

export interface Snapshot {
  status: StatusSnapshot;
  /** `cluster/release` -> why it is blocked. */
  blocked: Map<string, string>;
  /** The dry run the snapshot came from: the current plan. */
  report: RunReport;
  at: Date;
}

export interface ServeState {
  /** The last run that could act (leader), undefined before the first. */
  lastRun?: RunReport;
  lastRunAt?: Date;
  snapshot?: Snapshot;
  leader: boolean;
  /** The last loop error that was not a RunReport (a bug, a crash of a run). */
  loopError?: string;
  /** The leader's last drift check (see --drift-interval). */
  drift?: { run: DriftRun; at: Date };
  /** With --shards: who holds which shard, what this replica acts for (read per request). */
  shards?: () => ShardView;
}

export function createServeState(): ServeState {
  return { leader: true };
}

// Who wants to hear of a change (the live stream of the page), per state:
// kept beside the state instead of in it, so a state stays a plain value.
const listeners = new WeakMap<ServeState, Set<() => void>>();

/** Calls `cb` after each change of what the status answer shows (a new snapshot, the leadership); returns the unsubscribe. */
export function onStateChange(state: ServeState, cb: () => void): () => void {
  let set = listeners.get(state);
  if (!set) listeners.set(state, (set = new Set()));
  set.add(cb);
  return () => void set.delete(cb);
}

/** Tells every listener the state changed; a listener that throws does not stop the others (nor the loop). */
export function notifyStateChange(state: ServeState): void {
  for (const cb of [...(listeners.get(state) ?? [])]) {
    try {
      cb();
    } catch {
      // a listener's own failure is its business (a client gone mid-write)
    }
  }
}

export interface Readiness {
  ready: boolean;
  /** A reconcile (leader) or a status read (follower) finished. */
  firstReconcile: boolean;
  sourceReachable: boolean;
  leader: boolean;
  revision?: string;
  lastAppliedRevision?: string;
  reasons: string[];
  /** Per cluster, as the cluster stores it; with shards, whether this replica acts for it. */
  clusters?: Array<{ name: string; lastAppliedRevision?: string; appliedBy?: string; shard?: number; acting?: boolean }>;
  shards?: number[];
}

/** Ready once a pass has finished and the newest fetch of the source worked. */
export function readiness(s: ServeState): Readiness {
  const latest = newest(s);
  // The API answers from the snapshot, taken after each run: ready once both exist.
  const firstReconcile = s.snapshot !== undefined && (!s.leader || s.lastRun !== undefined);
  const sourceError = latest?.sourceError;
  const reasons: string[] = [];
  if (!firstReconcile) reasons.push(s.leader ? "the first reconcile has not finished" : "the first status read has not finished");
  if (sourceError) reasons.push(`the source is unreachable: ${sourceError}`);
  if (s.loopError) reasons.push(`the last pass failed: ${s.loopError}`);
  const revision = latest?.revision ?? s.snapshot?.status.revision;
  const applied = s.snapshot?.status.lastAppliedRevision;
  const shards = s.shards?.();
  const acting = new Set(shards?.acting ?? []);
  const clusters = s.snapshot?.status.clusters.map((c) => ({
    name: c.name,
    ...(c.lastAppliedRevision ? { lastAppliedRevision: c.lastAppliedRevision } : {}),
    ...(c.appliedBy ? { appliedBy: c.appliedBy } : {}),
    ...(c.shard !== undefined ? { shard: c.shard } : {}),
    ...(shards && c.shard !== undefined ? { acting: acting.has(c.shard) } : {}),
  }));
  return {
    ready: firstReconcile && !sourceError && !s.loopError,
    firstReconcile,
    sourceReachable: latest !== undefined && !sourceError,
    leader: s.leader,
    ...(revision ? { revision } : {}),
    ...(applied ? { lastAppliedRevision: applied } : {}),
    reasons,
    ...(clusters ? { clusters } : {}),
    ...(shards ? { shards: shards.acting } : {}),
  };
}

/** The most recent of the last run and the last snapshot's dry run. */
export function newest(s: ServeState): RunReport | undefined {
  if (!s.snapshot) return s.lastRun;
  if (!s.lastRun || !s.lastRunAt) return s.snapshot.report;
  return s.lastRunAt > s.snapshot.at ? s.lastRun : s.snapshot.report;
}
