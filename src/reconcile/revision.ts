// One git revision -> what every cluster should run: load, validate, resolve, render.
import type { ReleaseSpec, RenderedChart, Repo } from "../model/types.ts";
import type { AppDeclaration } from "../plan/prune.ts";

export interface DesiredRevision {
  commit: string;
  repo: Repo;
  /** Every Cluster object of the repository, with the releases placed on it (maybe none). */
  byCluster: Map<string, ReleaseSpec[]>;
  charts: Map<string, RenderedChart>; // by `name@version`
}

export interface Renderer {
  load(dir: string): Promise<Repo>; // throws ValidationError on invalid input
  render(repo: Repo): { charts: RenderedChart[]; releases: ReleaseSpec[] };
}

export const chartKey = (c: { name: string; version: string }) => `${c.name}@${c.version}`;

export async function loadRevision(commit: string, dir: string, r: Renderer): Promise<DesiredRevision> {
  const repo = await r.load(dir);
  const rendered = r.render(repo);
  const byCluster = new Map<string, ReleaseSpec[]>(repo.clusters.map((c) => [c.metadata.name, []]));
  for (const rel of rendered.releases) byCluster.get(rel.cluster)?.push(rel);
  return { commit, repo, byCluster, charts: new Map(rendered.charts.map((c) => [chartKey(c), c])) };
}

/** Every application of the revision: whether it prunes releases git no longer declares, and its namespace. */
export function declaredApps(repo: Repo): Map<string, AppDeclaration> {
  return new Map(repo.applications.map((a) => [a.metadata.name, { prune: a.spec.prune === true, namespace: a.spec.namespace }]));
}

