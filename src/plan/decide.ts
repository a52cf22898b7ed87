// Named state -> next action, as helm-controller's atomic_release.go. Pure.
import semver from "semver";
import type { ReleaseSpec } from "../model/types.ts";
import type { Action } from "./action.ts";
import { isPending, latestRevision, type ObservedRelease, type ReleaseMemo } from "./observed.ts";
import { pruneReason, type PruneDecision } from "./prune.ts";
import { rollbackSteps, upgradePath } from "./semver-path.ts";
import type { ReleaseState } from "./state.ts";

export interface RetryPolicy {
  limit: number; // attempts of one digest before giving up
  baseMs: number; // first backoff
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { limit: 5, baseMs: 10_000, maxMs: 10 * 60_000 };

export interface DecideInput {
  state: ReleaseState;
  desired?: ReleaseSpec;
  digest?: string;
  observed?: ObservedRelease;
  memo: ReleaseMemo;
  /** An orphan's: whether its application prunes (see prune.ts); without it, the release's own label. */
  prune?: PruneDecision;
  now: number; // ms since epoch
  retry: RetryPolicy;
}

export function backoffMs(failures: number, p: RetryPolicy): number {
  return Math.min(p.baseMs * 2 ** Math.max(0, failures - 1), p.maxMs);
}

export function decide(i: DecideInput): Action {
  const { state, desired, memo } = i;
  // stopped in git: whatever its state, the release stays as it is (no remediation either)
  if (desired?.suspended && state.name !== "Orphaned") return { kind: "none", reason: stoppedReason(desired.suspended) };
  switch (state.name) {
    case "Orphaned": {
      // Gone already (after an uninstall in this attempt): nothing left to prune.
      if (!i.observed || latestRevision(i.observed)?.status === "uninstalled") return { kind: "none", reason: "no longer declared in git; not on the cluster" };
      const p = i.prune ?? { prune: i.observed.prune, source: "label" };
      const reason = pruneReason(p, i.observed.application);
      return p.prune ? { kind: "uninstall", reason } : { kind: "none", reason };
    }
    case "Unmanaged":
      return adoptOrBlock(i, state);
    case "Locked":
      return { kind: "unlock", status: state.status };
    case "Failed":
      return { kind: "remediate", ...(state.lastGood ? { toRevision: state.lastGood.revision } : {}) };
    case "InSync":
      return { kind: "none", reason: state.reason };
    case "Absent":
    case "OutOfSync":
      break;
  }
  if (!desired) return { kind: "none", reason: state.reason };
  if (memo.suspendedDigest && memo.suspendedDigest === i.digest) {
    return { kind: "blocked", reason: "suspended by `berth rollback`; a change in git or `berth resume` lifts it" };
  }
  const wait = retryWait(i);
  if (wait) return { kind: "blocked", reason: wait };
  const target = desired.component.version;
  if (state.name === "Absent") return { kind: "install", to: target, steps: [] };

  const from = state.deployed.version;
  if (!from || semver.gte(target, from)) {
    if (!from) return { kind: "upgrade", to: target, steps: [] };
    const path = upgradePath(desired.upgrades, from, target, desired.declared?.upgrades);
    return path.ok ? { kind: "upgrade", from, to: target, steps: path.steps } : { kind: "blocked", reason: path.reason };
  }
  const back = [...(i.observed?.revisions ?? [])]
    .reverse()
    .find((r) => r.version === target && (r.status === "superseded" || r.status === "deployed"));
  if (!back) {
    const ran = [...new Set((i.observed?.revisions ?? []).map((r) => r.version).filter(Boolean))].join(", ");
    return {
      kind: "blocked",
      reason: `cannot go down from ${from} to ${target}: no revision in the release history ran ${target} (history has ${ran || "none"})`,
    };
  }
  return {
    kind: "rollback",
    from,
    to: target,
    toRevision: back.revision,
    steps: rollbackSteps([...desired.upgrades, ...memo.steps], from, target),
  };
}

/** Why a release git suspends is left alone; `at` is where git says so. */
export const stoppedReason = (at: string): string => `stopped: suspended: true in git (${at}); berth leaves the release as it is until that is removed`;

/**
 * A release of the desired name that berth does not own: taken over only when
 * the entry says `adopt`, and only once no helm is at work on it. Once adopted
 * it is berth's (its storage carries berth's label), so it is never adopted again.
 */
function adoptOrBlock(i: DecideInput, state: Extract<ReleaseState, { name: "Unmanaged" }>): Action {
  const d = i.desired;
  if (!d) return { kind: "none", reason: state.reason };
  if (!d.adopt) {
    return {
      kind: "blocked",
      reason:
        `${state.reason}; berth never touches a release it does not own: to take it over, set \`adopt: true\` on entry ${d.entry} of Application ${d.application} ` +
        "(berth labels it, then upgrades it), or `adopt: replace` (berth keeps its manifest and values, uninstalls it and installs fresh)",
    };
  }
  if (isPending(state.latest.status)) {
    return {
      kind: "blocked",
      reason: `${state.reason}; it is ${state.latest.status}, so another helm may be at work on it: berth adopts it once it has settled (or once someone rolls it back)`,
    };
  }
  const wait = retryWait(i);
  if (wait) return { kind: "blocked", reason: wait };
  return { kind: "adopt", mode: d.adopt === "replace" ? "replace" : "label", to: d.component.version, reason: `${state.reason}; entry ${d.entry} sets adopt: ${d.adopt}` };
}

function retryWait(i: DecideInput): string | undefined {
  const { memo } = i;
  if (!memo.failures || memo.failedDigest !== i.digest) return undefined;
  const why = memo.lastError ? `; last attempt: ${memo.lastError}` : "";
  if (memo.failures >= i.retry.limit) {
    return `gave up after ${memo.failures} failed attempts at this revision; push a fix or run \`berth resume\`${why}`;
  }
  const last = memo.lastFailureAt ? Date.parse(memo.lastFailureAt) : 0;
  const due = last + backoffMs(memo.failures, i.retry);
  if (i.now < due) {
    return `retry ${memo.failures + 1} of ${i.retry.limit} in ${Math.ceil((due - i.now) / 1000)}s after ${memo.failures} failure${memo.failures > 1 ? "s" : ""}${why}`;
  }
  return undefined;
}
