// What berth observes of one release on one cluster, read cheaply from Helm's
// release storage (labels only) and berth's own record ConfigMap.
import type { StepSpec } from "../model/types.ts";

export type HelmStatus =
  | "unknown"
  | "deployed"
  | "uninstalled"
  | "superseded"
  | "failed"
  | "uninstalling"
  | "pending-install"
  | "pending-upgrade"
  | "pending-rollback";

export interface ObservedRevision {
  revision: number;
  status: HelmStatus;
  /** Digest of what berth applied in this revision (label berth.dev/digest). */
  digest?: string;
  /** Component version this revision ran (label berth.dev/version). */
  version?: string;
}

export interface ObservedRelease {
  name: string;
  namespace: string;
  /** Whether berth owns it (its storage carries berth's label). */
  managed: boolean;
  /** The application it was installed for (label berth.dev/application). */
  application?: string;
  /** Whether its application asked for pruning when it was last applied (label berth.dev/prune). */
  prune: boolean;
  /** Ascending by revision. */
  revisions: ObservedRevision[];
}

/** A step berth ran, remembered so that its rollback survives the version's withdrawal from git. */
export interface RememberedStep {
  from: string;
  to: string;
  rollback?: StepSpec;
}

/**
 * A version move berth has begun on a release and not yet recorded. Written
 * before the move's first step Job is created: its id is part of every Job
 * name of the move, so a berth restarted mid-move finds and waits on the same
 * Jobs, while a later move to the same version (2.3 -> 2.4 -> 2.3 -> 2.4) runs
 * fresh ones. Cleared when the move's outcome is recorded.
 */
export interface MoveMemo {
  id: string;
  /** What the move applies; a restart continues the move only when git still asks for this. */
  digest: string;
  action: "install" | "upgrade" | "rollback";
  from?: string;
  to: string;
  startedAt: string; // ISO time
  /** The release's latest Helm revision when the move began (a revision after it with the move's digest ends it). */
  fromRevision?: number;
}

/** Berth's own memory of a release, kept on the cluster beside it. */
export interface ReleaseMemo {
  /** Set by `berth rollback`: automatic reconciliation waits until git's digest differs from this. */
  suspendedDigest?: string;
  /** Consecutive failures of `failedDigest`. */
  failures: number;
  failedDigest?: string;
  /** Why the last attempt at `failedDigest` failed (a Project's refusal, helm's error), said while berth waits to retry. */
  lastError?: string;
  lastFailureAt?: string; // ISO time
  steps: RememberedStep[];
  /** The move under way, if berth stopped before recording its outcome. */
  move?: MoveMemo;
  /** A third-party chart's content digest as last applied, so a re-push under the same version is named as such. */
  chartDigest?: string;
}

export const emptyMemo = (): ReleaseMemo => ({ failures: 0, steps: [] });

export function latestRevision(r: ObservedRelease | undefined): ObservedRevision | undefined {
  return r?.revisions[r.revisions.length - 1];
}

export function isPending(s: HelmStatus): boolean {
  return s.startsWith("pending-") || s === "uninstalling";
}
