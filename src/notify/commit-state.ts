// The commit status a Notification's commitStatus sink sets for each cluster
// (`berth/<cluster>`): pending when a pass starts on a commit there, then
// success or failure from how that pass ended for the applications it
// follows. A wave still held by the rollout stays pending. Pure.
import type { Notification } from "../model/types.ts";
import type { PassView } from "./events.ts";
import { wantsApplication, wantsCluster } from "./filter.ts";

export type CommitState = "pending" | "success" | "failure";

export interface StatusUpdate {
  cluster: string;
  sha: string;
  state: CommitState;
  /** One line for the forge (cut to 140 characters, GitHub's limit). */
  description: string;
  /** Stable across passes: one status of each state per commit and cluster (event-id.ts makes the id). */
  key: string;
}

export const statusContext = (cluster: string) => `berth/${cluster}`;

const cut = (s: string) => (s.length > 140 ? `${s.slice(0, 139)}…` : s);
const key = (cluster: string, sha: string, state: CommitState) => `status|${cluster}|${sha}|${state}`;

/**
 * Pending on `cluster` for `sha`, when the Notification follows the cluster
 * and an application it follows is placed there (`placed`: the applications of
 * the revision on that cluster).
 */
export function pendingStatus(n: Notification, cluster: string, sha: string, placed: readonly string[]): StatusUpdate | undefined {
  if (!wantsCluster(n, cluster) || !placed.some((a) => wantsApplication(n, a))) return undefined;
  return { cluster, sha, state: "pending", description: cut(`berth is applying ${sha.slice(0, 12)} on ${cluster}`), key: key(cluster, sha, "pending") };
}

/** The final state of each cluster of the pass the Notification follows; none for a cluster whose wave is held, or where it follows nothing. */
export function finalStatuses(n: Notification, pass: PassView, placed: (cluster: string) => readonly string[]): StatusUpdate[] {
  const sha = pass.revision;
  if (!sha) return [];
  const out: StatusUpdate[] = [];
  for (const c of pass.clusters) {
    if (!wantsCluster(n, c.cluster)) continue;
    const apps = placed(c.cluster).filter((a) => wantsApplication(n, a));
    if (apps.length === 0) continue;
    const done = (state: CommitState, description: string) => out.push({ cluster: c.cluster, sha, state, description: cut(description), key: key(c.cluster, sha, state) });
    if (!c.reachable) {
      done("failure", `cluster ${c.cluster} unreachable: ${c.error ?? "no answer"}`);
      continue;
    }
    // a wave that waits (for the one before, a soak, an approval) has not ended: it stays pending
    const held = (pass.rollout ?? []).some((r) => apps.includes(r.application) && r.waves.some((w) => w.clusters.includes(c.cluster) && w.state === "waiting"));
    const releases = c.releases.filter((r) => r.application !== undefined && apps.includes(r.application));
    const failed = releases.find((r) => r.outcome === "failed");
    if (failed) {
      done("failure", `${failed.name} failed: ${failed.reason}`);
      continue;
    }
    if (held) continue;
    const blocked = releases.find((r) => r.outcome === "blocked");
    if (blocked) {
      done("failure", `${blocked.name} blocked: ${blocked.reason}`);
      continue;
    }
    const changed = releases.filter((r) => r.outcome === "applied").length;
    done("success", `${releases.length} release${releases.length === 1 ? "" : "s"} in sync at ${sha.slice(0, 12)} on ${c.cluster}${changed ? ` (${changed} changed)` : ""}`);
  }
  return out;
}

/**
 * A commit berth refused as invalid applies nowhere: failure on every cluster
 * the Notification follows (of the last valid revision's clusters), with the
 * first problem as `file:line field: message`.
 */
export function invalidStatuses(n: Notification, sha: string, clusters: readonly string[], problem: string): StatusUpdate[] {
  return clusters
    .filter((c) => wantsCluster(n, c))
    .map((cluster) => ({ cluster, sha, state: "failure" as const, description: cut(`invalid, nothing applied: ${problem}`), key: key(cluster, sha, "failure") }));
}
