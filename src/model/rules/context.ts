// What every rule gets: the typed documents plus indexes by name, and the
// names of documents that failed their schema (so a broken Component does not
// also make every reference to it "unknown").
import type { Issue } from "../../errors.ts";
import { versionProblem } from "./fields.ts";
import { pickVersion } from "../select.ts";
import type { Application, ChartComponent, ChartRepository, Cluster, Component, Kind, Overlay, Project, Repo, TraitDefinition, WorkloadDefinition } from "../types.ts";

export type Docs = Omit<Repo, "root">;

/** What the operator decides for every repository berth reads (flags, not git). */
export interface ValidateOptions {
  /** Every Application must name a Project (`--require-project`). */
  requireProject?: boolean;
}

export interface RuleContext {
  docs: Docs;
  componentsByName: Map<string, Component[]>;
  apps: Map<string, Application>;
  clusters: Map<string, Cluster>;
  workloads: Map<string, WorkloadDefinition>;
  traits: Map<string, TraitDefinition>;
  overlays: Overlay[];
  projects: Map<string, Project>;
  /** Chart Components by name, and the ChartRepositories they name. */
  charts: Map<string, ChartComponent>;
  chartRepos: Map<string, ChartRepository>;
  options: ValidateOptions;
  /**
   * Names of documents that exist but failed their schema (and Components with
   * a version that is not semver): references to them are not reported again.
   */
  broken: Record<Kind, Set<string>>;
}

export type Rule = (ctx: RuleContext) => Issue[];

function firstByName<T extends { metadata: { name: string } }>(items: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const it of items) if (!m.has(it.metadata.name)) m.set(it.metadata.name, it);
  return m;
}

export function emptyBroken(): Record<Kind, Set<string>> {
  return {
    Component: new Set(),
    Application: new Set(),
    Overlay: new Set(),
    Cluster: new Set(),
    WorkloadDefinition: new Set(),
    TraitDefinition: new Set(),
    Project: new Set(),
    ChartRepository: new Set(),
    Notification: new Set(),
  };
}

export function makeContext(docs: Docs, broken = emptyBroken(), options: ValidateOptions = {}): RuleContext {
  const componentsByName = new Map<string, Component[]>();
  for (const c of docs.components) {
    const list = componentsByName.get(c.metadata.name) ?? [];
    list.push(c);
    componentsByName.set(c.metadata.name, list);
  }
  for (const c of docs.components) if (versionProblem(c.spec.version)) broken.Component.add(c.metadata.name);
  return {
    docs,
    componentsByName,
    apps: firstByName(docs.applications),
    clusters: firstByName(docs.clusters),
    workloads: firstByName(docs.workloads),
    traits: firstByName(docs.traits),
    overlays: docs.overlays,
    projects: firstByName(docs.projects),
    charts: firstByName(docs.charts),
    chartRepos: firstByName(docs.chartRepositories),
    options,
    broken,
  };
}

/**
 * The versions a chart Component's source has (its `chart.versions` range is
 * applied with the entry's ranges, see chartPick). Undefined when the source
 * was not read (validate without sources, or the source failed): its releases
 * are then decided at run time.
 */
export function offeredVersions(c: ChartComponent): string[] | undefined {
  const o = c.offered;
  if (!o || "unavailable" in o) return undefined;
  return o.versions.map((v) => v.version);
}

/** The highest version of a chart Component inside its own `versions` and every range given. */
export function chartPick(c: ChartComponent, ranges: readonly string[]): string | undefined {
  const all = offeredVersions(c);
  return all && pickVersion(all, [...(c.spec.chart.versions ? [c.spec.chart.versions] : []), ...ranges]);
}
