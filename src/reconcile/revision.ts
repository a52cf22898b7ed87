// One git revision -> what every cluster should run: load, validate, resolve, render.
import type { ChartSources } from "../adapters/charts/sources.ts";
import { intervalMs } from "../adapters/charts/sources.ts";
import type { ReleaseSpec, RenderedChart, Repo } from "../model/types.ts";
import type { AppDeclaration } from "../plan/prune.ts";

export interface DesiredRevision {
  commit: string;
  repo: Repo;
  /** Every Cluster object of the repository, with the releases placed on it (maybe none). */
  byCluster: Map<string, ReleaseSpec[]>;
  charts: Map<string, RenderedChart>; // by `name@version`
  /** When a repository chart's index is next due to be read (the shortest interval of the repositories used); absent without any. */
  chartsDueAt?: number;
}

export interface Renderer {
  /** Throws ValidationError on invalid input; `charts` reads repository charts (the reconciler's sources). */
  load(dir: string, opts?: { charts?: ChartSources }): Promise<Repo>;
  render(repo: Repo): { charts: RenderedChart[]; releases: ReleaseSpec[] };
}

export const chartKey = (c: { name: string; version: string }) => `${c.name}@${c.version}`;

export async function loadRevision(commit: string, dir: string, r: Renderer, charts?: ChartSources): Promise<DesiredRevision> {
  const loadedAt = Date.now();
  const repo = await r.load(dir, charts ? { charts } : {});
  const rendered = r.render(repo);
  const byCluster = new Map<string, ReleaseSpec[]>(repo.clusters.map((c) => [c.metadata.name, []]));
  for (const rel of rendered.releases) byCluster.get(rel.cluster)?.push(rel);
  const used = new Set(repo.charts.flatMap((c) => (c.spec.chart.repository !== undefined ? [c.spec.chart.repository] : [])));
  const intervals = repo.chartRepositories.filter((d) => used.has(d.metadata.name)).map(intervalMs);
  return {
    commit,
    repo,
    byCluster,
    charts: new Map(rendered.charts.map((c) => [chartKey(c), c])),
    ...(intervals.length ? { chartsDueAt: loadedAt + Math.min(...intervals) } : {}),
  };
}

/** Every application of the revision: whether it prunes releases git no longer declares, and its namespace. */
export function declaredApps(repo: Repo): Map<string, AppDeclaration> {
  return new Map(repo.applications.map((a) => [a.metadata.name, { prune: a.spec.prune === true, namespace: a.spec.namespace }]));
}

