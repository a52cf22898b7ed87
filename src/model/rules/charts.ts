// Chart Components and ChartRepositories: what a chart Component may say, where
// its chart comes from, and what the entries and overlays running it may set.
// Versions are checked against what the source offers when the loader read it.
import { posix } from "node:path";
import semver from "semver";
import type { Issue } from "../../errors.ts";
import { issueAt, list, type FieldPath } from "../issue.ts";
import { parseDuration } from "../duration.ts";
import { REPOSITORY_CREDENTIALS_DIR_FLAG, hostPathProblem } from "../kubeconfig-path.ts";
import { clustersFor, overlaysFor } from "../select.ts";
import type { AppComponentEntry, Application, ChartComponent, Origin, OverlayComponentPatch } from "../types.ts";
import { chartPick, offeredVersions, type Rule, type RuleContext } from "./context.ts";
import { rangeProblem, versionProblem } from "./fields.ts";

/** Fields of a generated Component that a chart Component does not take, and what to do instead. */
const NOT_FOR_CHARTS: Record<string, string> = {
  version: "its versions are the chart versions the source offers; narrow them with spec.chart.versions",
  workload: "the chart is the workload",
  container: "set the chart's own values under spec.values",
  config: "set the chart's own values under spec.values",
};

/** Entry and overlay fields that only generated charts understand. */
const ENTRY_NOT_FOR_CHARTS: Record<string, string> = {
  traits: "traits are switches of berth's generated charts; set the chart's own values under values",
  config: "config is mounted by berth's generated charts; set the chart's own values under values",
  replicas: "replicas is a value of berth's generated charts; set the chart's own value (often replicaCount) under values",
};

function checkChartComponent(ctx: RuleContext, c: ChartComponent, out: Issue[]): void {
  const spec = c.spec as unknown as Record<string, unknown>;
  for (const [k, why] of Object.entries(NOT_FOR_CHARTS))
    if (spec[k] !== undefined) out.push(issueAt(c.origin, ["spec", k], `a chart Component takes no spec.${k}: ${why}`));
  const ch = c.spec.chart;
  const at = ["spec", "chart"];
  if ((ch.repository === undefined) === (ch.path === undefined)) {
    out.push(issueAt(c.origin, at, "needs exactly one of repository (with name), e.g. { repository: sigs, name: metrics-server }, or path to a chart directory or .tgz in this repository, e.g. { path: charts/metrics-server }"));
  } else if (ch.repository !== undefined) {
    if (ch.name === undefined) out.push(issueAt(c.origin, at, `needs name: the chart's name in ChartRepository ${JSON.stringify(ch.repository)}`));
    if (!ctx.chartRepos.has(ch.repository) && !ctx.broken.ChartRepository.has(ch.repository))
      out.push(issueAt(c.origin, [...at, "repository"], `no ChartRepository named ${JSON.stringify(ch.repository)}; known: ${list([...ctx.chartRepos.keys()].sort()) || "none (declare one: kind: ChartRepository, spec.url)"}`));
  } else if (ch.path !== undefined) {
    if (ch.name !== undefined) out.push(issueAt(c.origin, [...at, "name"], "a chart from a path takes its name from its Chart.yaml; remove name"));
    const p = chartPathProblem(ch.path);
    if (p) out.push(issueAt(c.origin, [...at, "path"], p));
  }
  if (ch.versions !== undefined) {
    const p = rangeProblem(ch.versions);
    if (p) out.push(issueAt(c.origin, [...at, "versions"], p));
  }
  for (const [name, range] of Object.entries(c.spec.requires ?? {})) {
    const p = rangeProblem(range);
    if (p) out.push(issueAt(c.origin, ["spec", "requires", name], p));
  }
  (c.spec.upgrades ?? []).forEach((u, i) => {
    const uat = ["spec", "upgrades", i];
    const from = rangeProblem(u.from);
    if (from) out.push(issueAt(c.origin, [...uat, "from"], from));
    const to = versionProblem(u.to);
    if (to) out.push(issueAt(c.origin, [...uat, "to"], to));
    else if (!from && semver.satisfies(u.to, u.from, { includePrerelease: true }))
      out.push(issueAt(c.origin, [...uat, "from"], `range ${JSON.stringify(u.from)} includes the target version ${u.to} itself; it must only cover older versions, e.g. "<${u.to}"`));
  });
}

/** Why a chart path is refused by its spelling: it must stay inside the repository. */
export function chartPathProblem(path: string): string | undefined {
  if (posix.isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.includes("\\"))
    return `path ${JSON.stringify(path)} must be relative to the repository root, with forward slashes`;
  const n = posix.normalize(path);
  if (n === ".." || n.startsWith("../")) return `path ${JSON.stringify(path)} leads outside the repository; charts must live inside it`;
  return undefined;
}

function checkRepositories(ctx: RuleContext, out: Issue[]): void {
  for (const r of ctx.docs.chartRepositories) {
    const s = r.spec;
    const oci = s.url.startsWith("oci://");
    if (/^[a-z]+:\/\/[^/]*@/i.test(s.url))
      out.push(issueAt(r.origin, ["spec", "url"], "credentials never go in git: remove user:password@ from the URL and name files on the berth host in spec.auth"));
    if (s.insecure && !oci)
      out.push(issueAt(r.origin, ["spec", "insecure"], `insecure (plain HTTP) is for oci:// registries; for a Helm HTTP repository write an http:// URL, got ${JSON.stringify(s.url)}`));
    for (const [field, path] of [["usernameFile", s.auth?.usernameFile], ["passwordFile", s.auth?.passwordFile]] as const) {
      const p = path === undefined ? undefined : hostPathProblem(path, REPOSITORY_CREDENTIALS_DIR_FLAG);
      if (p) out.push(issueAt(r.origin, ["spec", "auth", field], p));
    }
    const ca = s.caFile === undefined ? undefined : hostPathProblem(s.caFile, REPOSITORY_CREDENTIALS_DIR_FLAG);
    if (ca) out.push(issueAt(r.origin, ["spec", "caFile"], ca));
    if (s.interval !== undefined) {
      const ms = parseDuration(s.interval);
      if (ms === undefined || ms < 10_000) out.push(issueAt(r.origin, ["spec", "interval"], `must be a duration of at least 10s, like 10m or 1h, got ${JSON.stringify(s.interval)}`));
    }
  }
}

/** The fields of an entry or overlay patch that do not apply to a chart. */
function checkEntryFields(origin: Origin, at: FieldPath, e: AppComponentEntry | OverlayComponentPatch, chart: string, out: Issue[]): void {
  for (const [k, why] of Object.entries(ENTRY_NOT_FOR_CHARTS))
    if ((e as Record<string, unknown>)[k] !== undefined) out.push(issueAt(origin, [...at, k], `component ${JSON.stringify(chart)} is a Helm chart: ${why}`));
}

function available(c: ChartComponent): string {
  const v = offeredVersions(c) ?? [];
  const inside = c.spec.chart.versions ? v.filter((x) => semver.satisfies(x, c.spec.chart.versions!, { includePrerelease: true })) : v;
  const shown = semver.rsort([...inside]).slice(0, 12);
  return `${shown.join(", ") || "none"}${inside.length > shown.length ? ", ..." : ""}${c.spec.chart.versions ? ` (inside the Component's versions ${JSON.stringify(c.spec.chart.versions)})` : ""}`;
}

function checkApplication(ctx: RuleContext, app: Application, out: Issue[]): void {
  const project = app.spec.project === undefined ? undefined : ctx.projects.get(app.spec.project);
  app.spec.components.forEach((e, i) => {
    const c = ctx.charts.get(e.component);
    if (!c) return;
    const at = ["spec", "components", i];
    checkEntryFields(app.origin, at, e, c.metadata.name, out);
    const repo = c.spec.chart.repository;
    const allowed = project?.spec.repositories;
    if (repo !== undefined && allowed !== undefined && !allowed.includes(repo))
      out.push(issueAt(app.origin, [...at, "component"], `component ${JSON.stringify(c.metadata.name)} comes from ChartRepository ${JSON.stringify(repo)}, which Project ${JSON.stringify(project!.metadata.name)} does not allow (its repositories: ${list(allowed) || "none"})`));
    if (rangeProblem(e.version) || offeredVersions(c) === undefined) return;
    if (!chartPick(c, [e.version])) {
      out.push(issueAt(app.origin, [...at, "version"], `no version of chart component ${JSON.stringify(c.metadata.name)} matches ${JSON.stringify(e.version)}; available: ${available(c)}`));
      return;
    }
    for (const cluster of clustersFor(app, ctx.docs.clusters)) {
      const patches = overlaysFor(app, cluster, ctx.overlays).flatMap((o) => (o.spec.components[e.name]?.version !== undefined ? [{ o, v: o.spec.components[e.name]!.version! }] : []));
      if (patches.some((p) => rangeProblem(p.v))) continue;
      if (patches.length && !chartPick(c, [e.version, ...patches.map((p) => p.v)])) {
        const last = patches[patches.length - 1]!;
        out.push(issueAt(last.o.origin, ["spec", "components", e.name, "version"], `on cluster ${cluster.metadata.name}, ${patches.map((p) => JSON.stringify(p.v)).join(", ")} with the application's ${JSON.stringify(e.version)} match no version of chart component ${JSON.stringify(c.metadata.name)}; available: ${available(c)}`));
      }
    }
  });
}

export const chartRules: Rule = (ctx) => {
  const out: Issue[] = [];
  for (const c of ctx.docs.charts) checkChartComponent(ctx, c, out);
  checkRepositories(ctx, out);
  for (const app of ctx.docs.applications) checkApplication(ctx, app, out);
  for (const o of ctx.overlays) {
    const app = ctx.apps.get(o.spec.application);
    if (!app) continue;
    for (const [name, patch] of Object.entries(o.spec.components)) {
      const entry = app.spec.components.find((e) => e.name === name);
      if (entry && ctx.charts.has(entry.component)) checkEntryFields(o.origin, ["spec", "components", name], patch, entry.component, out);
    }
  }
  return out;
};
