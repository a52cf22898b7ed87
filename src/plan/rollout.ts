// Which clusters go first, and what holds the others: the rollout as a value,
// decided from the revision and the first wave's outcome. Pure; the loop runs it.
import type { Repo } from "../model/types.ts";

/** Canary clusters per application, from placement.rollout. */
export function canaries(repo: Pick<Repo, "applications">): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of repo.applications) {
    const c = a.spec.placement?.rollout?.canary;
    if (c?.length) out.set(a.metadata.name, c);
  }
  return out;
}

/** Clusters in two waves: every application's canaries first, then the rest. */
export function waves<T extends { name: string }>(clusters: T[], canary: ReadonlyMap<string, string[]>): { first: T[]; rest: T[] } {
  const names = new Set([...canary.values()].flat());
  return { first: clusters.filter((c) => names.has(c.name)), rest: clusters.filter((c) => !names.has(c.name)) };
}

/** What the rollout needs to know of a cluster's pass. */
export interface WaveOutcome {
  cluster: string;
  reachable: boolean;
  releases: { name: string; application?: string; outcome: string; reason: string }[];
}

/** Applications whose canary cluster did not end healthy wait on the other clusters, with the reason. */
export function heldByCanary(canary: ReadonlyMap<string, string[]>, results: readonly WaveOutcome[]): Map<string, string> {
  const held = new Map<string, string>();
  for (const [app, clusters] of canary) {
    for (const c of clusters) {
      const r = results.find((x) => x.cluster === c);
      if (!r) continue;
      if (!r.reachable) {
        held.set(app, `waiting for canary cluster ${c}, which is unreachable`);
        break;
      }
      const bad = r.releases.find((x) => x.application === app && (x.outcome === "failed" || x.outcome === "blocked"));
      if (bad) {
        held.set(app, `waiting for canary cluster ${c}: ${bad.name} ${bad.outcome} (${bad.reason})`);
        break;
      }
    }
  }
  return held;
}
