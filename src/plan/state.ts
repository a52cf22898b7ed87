// Observation -> one named state with a reason, as helm-controller's state.go. Pure.
import type { ReleaseSpec } from "../model/types.ts";
import { isPending, latestRevision, type HelmStatus, type ObservedRelease, type ObservedRevision } from "./observed.ts";

export type ReleaseState =
  | { name: "Absent"; reason: string }
  /** A release of the desired name that berth does not own (installed by hand, or by another tool); `latest` is its newest revision. */
  | { name: "Unmanaged"; reason: string; latest: ObservedRevision }
  | { name: "Locked"; reason: string; status: HelmStatus }
  | { name: "Failed"; reason: string; lastGood?: ObservedRevision }
  | { name: "OutOfSync"; reason: string; deployed: ObservedRevision }
  | { name: "InSync"; reason: string; deployed: ObservedRevision }
  | { name: "Orphaned"; reason: string };

const GOOD: ReadonlySet<HelmStatus> = new Set(["deployed", "superseded"]);

/** The last revision that was deployed successfully, before `before` if given. */
export function lastGoodRevision(r: ObservedRelease, before = Infinity): ObservedRevision | undefined {
  return [...r.revisions].reverse().find((v) => v.revision < before && GOOD.has(v.status));
}

export function observeState(desired: ReleaseSpec | undefined, digest: string | undefined, observed: ObservedRelease | undefined): ReleaseState {
  const latest = latestRevision(observed);
  if (!desired) return { name: "Orphaned", reason: "no longer declared in git" };
  if (!observed || !latest || latest.status === "uninstalled") {
    return { name: "Absent", reason: "no release on the cluster" };
  }
  if (!observed.managed) {
    return {
      name: "Unmanaged",
      reason: `release ${observed.name} in ${observed.namespace} exists (revision ${latest.revision}, ${latest.status}) but berth does not own it`,
      latest,
    };
  }
  if (isPending(latest.status)) {
    return { name: "Locked", reason: `revision ${latest.revision} was left ${latest.status}`, status: latest.status };
  }
  if (latest.status !== "deployed") {
    const lastGood = lastGoodRevision(observed, latest.revision);
    return { name: "Failed", reason: `revision ${latest.revision} is ${latest.status}`, ...(lastGood ? { lastGood } : {}) };
  }
  if (latest.digest === digest) {
    return { name: "InSync", reason: `revision ${latest.revision} matches git`, deployed: latest };
  }
  return { name: "OutOfSync", reason: `revision ${latest.revision} differs from git`, deployed: latest };
}
