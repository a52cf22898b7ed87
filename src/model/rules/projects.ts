// What a Project allows an Application (DESIGN.md "Project"): the Project it
// names exists, its namespace matches one of the Project's globs, and every
// cluster its placement reaches is one the Project allows. With
// --require-project every Application names one. Overlays cannot widen
// placement (they only choose where their patches apply: select.ts), so
// placement alone decides the clusters. What the charts render is
// project-templates.ts.
import type { Issue } from "../../errors.ts";
import { matchesAnyGlob } from "../glob.ts";
import { issueAt, list, where, type FieldPath } from "../issue.ts";
import { clustersFor, labelsMatch } from "../select.ts";
import type { Application, Cluster, Project } from "../types.ts";
import type { Rule, RuleContext } from "./context.ts";

/** `project "x" (projects/x.yaml:4:9)`: how a message names a Project. */
export const describeProject = (p: Project): string => `project ${JSON.stringify(p.metadata.name)} (${where(p.origin, ["metadata", "name"])})`;

/** The Project whose limits apply to an application, when it names one that exists. */
export function projectOf(ctx: RuleContext, app: Application): Project | undefined {
  return app.spec.project === undefined ? undefined : ctx.projects.get(app.spec.project);
}

/** Whether the Project lets its applications onto this cluster (no `clusters`: every cluster). */
export function clusterAllowed(p: Project, c: Cluster): boolean {
  const allow = p.spec.clusters;
  if (!allow || (allow.names === undefined && allow.selector === undefined)) return true;
  if (allow.names?.includes(c.metadata.name)) return true;
  return allow.selector !== undefined && labelsMatch(allow.selector, c.metadata.labels);
}

function describeAllowedClusters(p: Project): string {
  const { names, selector } = p.spec.clusters ?? {};
  const parts: string[] = [];
  if (names !== undefined) parts.push(`clusters ${list(names)}`);
  if (selector !== undefined) {
    const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`);
    parts.push(labels.length ? `clusters labelled ${labels.join(", ")}` : "every cluster");
  }
  return parts.join(" or ");
}

function checkRequired(ctx: RuleContext, app: Application, out: Issue[]): void {
  if (!ctx.options.requireProject) return;
  const known = [...ctx.projects.keys()].sort();
  const hint = known.length ? `name one of the Projects: ${list(known)}` : "no Project is defined yet: add a Project document and name it here";
  out.push(issueAt(app.origin, ["spec", "project"], `application ${JSON.stringify(app.metadata.name)} names no Project, and berth runs with --require-project; set spec.project (${hint})`));
}

function checkClusters(ctx: RuleContext, app: Application, p: Project, out: Issue[]): void {
  const outside = clustersFor(app, ctx.docs.clusters).filter((c) => !clusterAllowed(p, c));
  if (outside.length === 0) return;
  const placement = app.spec.placement;
  const byField = new Map<string, { at: FieldPath; how: string; clusters: string[] }>();
  for (const c of outside) {
    const i = placement?.clusters?.indexOf(c.metadata.name) ?? -1;
    const [at, how] =
      i >= 0
        ? [["spec", "placement", "clusters", i], `placement names cluster`]
        : placement?.clusterSelector !== undefined
          ? [["spec", "placement", "clusterSelector"], "placement.clusterSelector selects cluster"]
          : [["spec", "placement"], "without placement.clusters or clusterSelector the application goes to every cluster, including"];
    const key = JSON.stringify(at);
    const entry = byField.get(key) ?? { at, how, clusters: [] };
    entry.clusters.push(c.metadata.name);
    byField.set(key, entry);
  }
  for (const { at, how, clusters } of byField.values()) {
    out.push(
      issueAt(
        app.origin,
        at,
        `${how}${clusters.length > 1 ? "s" : ""} ${clusters.join(", ")}, outside ${describeProject(p)}, which allows ${describeAllowedClusters(p)}; place the application only on those, or add the cluster to the Project's spec.clusters`,
      ),
    );
  }
}

function checkApplication(ctx: RuleContext, app: Application, out: Issue[]): void {
  const name = app.spec.project;
  if (name === undefined) return checkRequired(ctx, app, out);
  const p = ctx.projects.get(name);
  if (!p) {
    if (!ctx.broken.Project.has(name))
      out.push(issueAt(app.origin, ["spec", "project"], `no Project named ${JSON.stringify(name)}; known projects: ${list([...ctx.projects.keys()].sort())}`));
    return;
  }
  if (!matchesAnyGlob(p.spec.namespaces, app.spec.namespace))
    out.push(
      issueAt(
        app.origin,
        ["spec", "namespace"],
        `namespace ${JSON.stringify(app.spec.namespace)} is outside ${describeProject(p)}, which allows namespaces ${list(p.spec.namespaces)}; use one of those, or widen the Project's spec.namespaces`,
      ),
    );
  checkClusters(ctx, app, p, out);
}

export const projectRules: Rule = (ctx) => {
  const out: Issue[] = [];
  for (const p of ctx.docs.projects) {
    (p.spec.clusters?.names ?? []).forEach((n, i) => {
      if (!ctx.clusters.has(n) && !ctx.broken.Cluster.has(n))
        out.push(issueAt(p.origin, ["spec", "clusters", "names", i], `unknown cluster ${JSON.stringify(n)}; known clusters: ${list([...ctx.clusters.keys()].sort())}`));
    });
  }
  for (const app of ctx.docs.applications) checkApplication(ctx, app, out);
  return out;
};
