// The rollout order of the applications a diff touches, as the head revision
// declares it: per application its waves in order (plan/waves.ts), and on the
// clusters of each wave its releases by dependency level (plan/dag.ts,
// plan/levels.ts). Clusters of one wave whose levels (and changed releases)
// are the same are drawn once. Pure; diff-mermaid.ts draws it.
import type { ReleaseSpec, Repo } from "../model/types.ts";
import { buildGraph } from "../plan/dag.ts";
import { byLevel, dependencyLevels } from "../plan/levels.ts";
import { appWaves, type PlannedWave } from "../plan/waves.ts";
import type { RenderDiff } from "./diff.ts";


/** A release in a level: its name and how the diff changes it (absent: unchanged). */
export interface LevelRelease {
  name: string;
  change?: "added" | "changed";
}

export interface ClusterGroup {
  clusters: string[];
  /** Level 0 first; each level sorted by name. */
  levels: LevelRelease[][];
}

export interface RolloutWave extends PlannedWave {
  groups: ClusterGroup[];
}

export interface RolloutOrder {
  application: string;
  /** What a wave waits for of the one before (rollout.wait). */
  wait: "healthy" | "none";
  waves: RolloutWave[];
}

/** The applications with a release added or changed, each with its waves; in name order. */
export function rolloutOrder(head: Pick<Repo, "applications" | "clusters">, releases: readonly ReleaseSpec[], d: RenderDiff): RolloutOrder[] {
  const change = new Map(d.releases.filter((r) => r.change !== "removed").map((r) => [r.key, r.change as "added" | "changed"]));
  const touched = new Set(d.releases.filter((r) => r.change !== "removed").map((r) => r.key.split("/")[1] as string));
  const out: RolloutOrder[] = [];
  for (const app of [...head.applications].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const name = app.metadata.name;
    if (!touched.has(name)) continue;
    const waves: RolloutWave[] = [];
    for (const w of appWaves(app, head.clusters)) {
      const groups = new Map<string, ClusterGroup>();
      for (const cluster of w.clusters) {
        const specs = releases.filter((r) => r.cluster === cluster && r.application === name);
        if (specs.length === 0) continue;
        const levels = byLevel(dependencyLevels(buildGraph(specs).needs)).map((names) =>
          names.map((n): LevelRelease => {
            const c = change.get(`${cluster}/${name}/${(specs.find((s) => s.name === n) as ReleaseSpec).entry}`);
            return c ? { name: n, change: c } : { name: n };
          }),
        );
        const sig = JSON.stringify(levels);
        const g = groups.get(sig);
        if (g) g.clusters.push(cluster);
        else groups.set(sig, { clusters: [cluster], levels });
      }
      if (groups.size) waves.push({ ...w, groups: [...groups.values()] });
    }
    if (waves.length) out.push({ application: name, wait: app.spec.placement?.rollout?.wait ?? "healthy", waves });
  }
  return out;
}
