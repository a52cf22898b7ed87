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

/** Berth's own memory of a release, kept on the cluster beside it. */
export interface ReleaseMemo {
  /** Set by `berth rollback`: automatic reconciliation waits until git's digest differs from this. */
  suspendedDigest?: string;
  /** Consecutive failures of `failedDigest`. */
  failures: number;
  failedDigest?: string;
  lastFailureAt?: string; // ISO time
  steps: RememberedStep[];
}

export const emptyMemo = (): ReleaseMemo => ({ failures: 0, steps: [] });

export function latestRevision(r: ObservedRelease | undefined): ObservedRevision | undefined {
  return r?.revisions[r.revisions.length - 1];
}

export function isPending(s: HelmStatus): boolean {
  return s.startsWith("pending-") || s === "uninstalling";
}
