// The clusters of one pass, run in the rollout's two waves (plan/rollout.ts):
// every application's canary clusters first, then the rest, with the
// applications whose canary did not end healthy held back there.
import { canaries, heldByCanary, waves } from "../plan/rollout.ts";
import type { Repo } from "../model/types.ts";
import type { ClusterResult } from "./cluster.ts";
import type { ProgressSink } from "./progress.ts";

export async function runWaves<T extends { name: string }>(
  repo: Pick<Repo, "applications">,
  clusters: T[],
  run: (cluster: T, heldApps?: Map<string, string>) => Promise<ClusterResult>,
  emit: ProgressSink,
): Promise<ClusterResult[]> {
  const canary = canaries(repo);
  const { first, rest } = waves(clusters, canary);
  if (first.length) {
    const on = first.map((c) => ({ name: c.name, via: "canary" as const }));
    for (const c of rest) emit({ kind: "waiting", cluster: c.name, on });
  }
  const firstResults = await Promise.all(first.map((c) => run(c)));
  const held = heldByCanary(canary, firstResults);
  const restResults = await Promise.all(rest.map((c) => run(c, held)));
  return [...firstResults, ...restResults];
}
