// Every name that points at another document resolves: components and their
// versions, dependsOn, requires, workloads, traits (and whether they apply),
// applications, overlay entries, clusters and canaries.
import type { Issue } from "../../errors.ts";
import { issueAt, list } from "../issue.ts";
import { clustersFor, pickVersion } from "../select.ts";
import type { AppComponentEntry, Application, Component, Origin, TraitValues } from "../types.ts";
import semver from "semver";
import { chartPick, offeredVersions, type Rule, type RuleContext } from "./context.ts";
import { rangeProblem } from "./fields.ts";
import type { FieldPath } from "../issue.ts";

const known = (names: Iterable<string>) => {
  const all = [...names].sort();
  return all.length > 12 ? `${all.slice(0, 12).join(", ")}, ...` : list(all);
};

/** The Component an entry resolves to for some extra ranges (overlays), or undefined. */
export function resolveEntry(ctx: RuleContext, entry: AppComponentEntry, extra: string[] = []): Component | undefined {
  const versions = ctx.componentsByName.get(entry.component) ?? [];
  const ranges = [entry.version, ...extra];
  if (ranges.some((r) => rangeProblem(r))) return undefined;
  const v = pickVersion(versions.map((c) => c.spec.version), ranges);
  return versions.find((c) => c.spec.version === v);
}

function versionsOf(ctx: RuleContext, name: string): string {
  return list((ctx.componentsByName.get(name) ?? []).map((c) => c.spec.version).sort());
}

function checkTraits(ctx: RuleContext, origin: Origin, at: FieldPath, traits: TraitValues | undefined, comp: Component | undefined, out: Issue[]): void {
  for (const name of Object.keys(traits ?? {})) {
    const def = ctx.traits.get(name);
    if (!def) {
      if (!ctx.broken.TraitDefinition.has(name))
        out.push(issueAt(origin, [...at, name], `unknown trait ${JSON.stringify(name)}; known traits: ${known(ctx.traits.keys())}`));
      continue;
    }
    if (!comp || traits?.[name] === false) continue; // switching off a trait that never applied is harmless
    const applies = def.spec.appliesTo;
    if (!applies.includes("*") && !applies.includes(comp.spec.workload))
      out.push(issueAt(origin, [...at, name], `trait ${JSON.stringify(name)} does not apply to workload ${JSON.stringify(comp.spec.workload)} (component ${comp.metadata.name} ${comp.spec.version}); it applies to: ${list(applies)}`));
  }
}

function checkClusters(ctx: RuleContext, origin: Origin, at: FieldPath, names: string[] | undefined, out: Issue[]): void {
  (names ?? []).forEach((n, i) => {
    if (!ctx.clusters.has(n) && !ctx.broken.Cluster.has(n))
      out.push(issueAt(origin, [...at, i], `unknown cluster ${JSON.stringify(n)}; known clusters: ${known(ctx.clusters.keys())}`));
  });
}

function checkApplication(ctx: RuleContext, app: Application, out: Issue[]): void {
  const entries = new Set(app.spec.components.map((e) => e.name));
  app.spec.components.forEach((e, i) => {
    const at = ["spec", "components", i];
    const versions = ctx.componentsByName.get(e.component);
    let comp: Component | undefined;
    if (!versions && ctx.charts.has(e.component)) {
      // a chart Component: its versions and fields are the chart rules' (charts.ts)
    } else if (!versions) {
      if (!ctx.broken.Component.has(e.component))
        out.push(issueAt(app.origin, [...at, "component"], `no Component named ${JSON.stringify(e.component)}; known components: ${known([...ctx.componentsByName.keys(), ...ctx.charts.keys()])}`));
    } else if (!rangeProblem(e.version) && !ctx.broken.Component.has(e.component)) {
      comp = resolveEntry(ctx, e);
      if (!comp)
        out.push(issueAt(app.origin, [...at, "version"], `no version of component ${JSON.stringify(e.component)} matches ${JSON.stringify(e.version)}; available: ${versionsOf(ctx, e.component)}`));
    }
    (e.dependsOn ?? []).forEach((d, j) => {
      if (d === e.name) out.push(issueAt(app.origin, [...at, "dependsOn", j], `entry ${JSON.stringify(e.name)} cannot depend on itself`));
      else if (!entries.has(d))
        out.push(issueAt(app.origin, [...at, "dependsOn", j], `no entry named ${JSON.stringify(d)} in application ${JSON.stringify(app.metadata.name)}; entries: ${list([...entries].sort())}`));
    });
    if (!ctx.charts.has(e.component)) checkTraits(ctx, app.origin, [...at, "traits"], e.traits, comp, out);
  });
  const p = app.spec.placement;
  checkClusters(ctx, app.origin, ["spec", "placement", "clusters"], p?.clusters, out);
  const placed = new Set(clustersFor(app, ctx.docs.clusters).map((c) => c.metadata.name));
  const placementKnown = (p?.clusters ?? []).every((n) => ctx.clusters.has(n));
  (p?.rollout?.canary ?? []).forEach((n, i) => {
    const at = ["spec", "placement", "rollout", "canary", i];
    if (!ctx.clusters.has(n)) {
      if (!ctx.broken.Cluster.has(n)) out.push(issueAt(app.origin, at, `unknown cluster ${JSON.stringify(n)}; known clusters: ${known(ctx.clusters.keys())}`));
    } else if (placementKnown && !placed.has(n))
      out.push(issueAt(app.origin, at, `canary cluster ${JSON.stringify(n)} is not one this application is placed on; placed on: ${list([...placed])}`));
  });
}

function checkOverlay(ctx: RuleContext, o: (typeof ctx.overlays)[number], out: Issue[]): void {
  checkClusters(ctx, o.origin, ["spec", "clusters"], o.spec.clusters, out);
  const app = ctx.apps.get(o.spec.application);
  if (!app) {
    if (!ctx.broken.Application.has(o.spec.application))
      out.push(issueAt(o.origin, ["spec", "application"], `no Application named ${JSON.stringify(o.spec.application)}; known applications: ${known(ctx.apps.keys())}`));
    return;
  }
  for (const [key, patch] of Object.entries(o.spec.components)) {
    const at = ["spec", "components", key];
    const entry = app.spec.components.find((e) => e.name === key);
    if (!entry) {
      out.push(issueAt(o.origin, at, `application ${JSON.stringify(app.metadata.name)} has no entry named ${JSON.stringify(key)}; entries: ${list(app.spec.components.map((e) => e.name))}`));
      continue;
    }
    if (!ctx.componentsByName.has(entry.component) || rangeProblem(entry.version) || ctx.broken.Component.has(entry.component)) continue;
    let comp = resolveEntry(ctx, entry);
    // when the application's own range finds nothing, that is reported at the application
    if (comp && patch.version !== undefined && !rangeProblem(patch.version)) {
      comp = resolveEntry(ctx, entry, [patch.version]);
      if (!comp)
        out.push(issueAt(o.origin, [...at, "version"], `no version of component ${JSON.stringify(entry.component)} matches both the application's ${JSON.stringify(entry.version)} and ${JSON.stringify(patch.version)}; available: ${versionsOf(ctx, entry.component)}`));
    }
    checkTraits(ctx, o.origin, [...at, "traits"], patch.traits, comp, out);
  }
}

/** `requires` of a generated or chart Component: each name is a component, with a version in the range. */
function checkRequires(ctx: RuleContext, c: { origin: Origin; spec: { requires?: Record<string, string> } }, out: Issue[]): void {
  for (const [name, range] of Object.entries(c.spec.requires ?? {})) {
    const at = ["spec", "requires", name];
    const versions = ctx.componentsByName.get(name);
    const chart = ctx.charts.get(name);
    if (chart) {
      if (!rangeProblem(range) && offeredVersions(chart) !== undefined && !chartPick(chart, [range]))
        out.push(issueAt(c.origin, at, `no version of chart component ${JSON.stringify(name)} matches ${JSON.stringify(range)}; its source offers: ${list(semver.rsort([...(offeredVersions(chart) ?? [])]).slice(0, 12)) || "none"}`));
    } else if (!versions) {
      if (!ctx.broken.Component.has(name))
        out.push(issueAt(c.origin, at, `requires unknown component ${JSON.stringify(name)}; known components: ${known([...ctx.componentsByName.keys(), ...ctx.charts.keys()])}`));
    } else if (!rangeProblem(range) && !pickVersion(versions.map((v) => v.spec.version), [range]))
      out.push(issueAt(c.origin, at, `no version of component ${JSON.stringify(name)} matches ${JSON.stringify(range)}; available: ${versionsOf(ctx, name)}`));
  }
}

export const referenceRules: Rule = (ctx) => {
  const out: Issue[] = [];
  for (const c of ctx.docs.components) {
    if (!ctx.workloads.has(c.spec.workload) && !ctx.broken.WorkloadDefinition.has(c.spec.workload))
      out.push(issueAt(c.origin, ["spec", "workload"], `unknown workload ${JSON.stringify(c.spec.workload)}; known workloads: ${known(ctx.workloads.keys())}`));
    checkRequires(ctx, c, out);
  }
  for (const c of ctx.docs.charts) checkRequires(ctx, c, out);
  for (const t of ctx.docs.traits)
    t.spec.appliesTo.forEach((w, i) => {
      if (w !== "*" && !ctx.workloads.has(w) && !ctx.broken.WorkloadDefinition.has(w))
        out.push(issueAt(t.origin, ["spec", "appliesTo", i], `unknown workload ${JSON.stringify(w)}; known workloads: ${known(ctx.workloads.keys())}, or "*" for all`));
    });
  for (const app of ctx.docs.applications) checkApplication(ctx, app, out);
  for (const o of ctx.overlays) checkOverlay(ctx, o, out);
  return out;
};
