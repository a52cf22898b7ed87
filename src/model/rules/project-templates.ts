// What the generated charts of an Application with a Project may contain,
// read from the template text of every definition its releases use: no
// cluster-scoped kind the Project does not list, no kind computed at install
// time (it could be anything), no metadata.namespace other than the release's,
// and no Helm function that reaches outside the release (template-scan.ts).
// Each issue points at the template file's own line. The rendered manifest is
// checked again before install; this is what can be said at `berth validate`.
import { posix } from "node:path";
import type { Issue } from "../../errors.ts";
import { isClusterScopedKind } from "../cluster-scoped.ts";
import { list, show } from "../issue.ts";
import { clustersFor, overlaysFor } from "../select.ts";
import { scanTemplate, type OutsideFunction, type TemplateScan } from "../template-scan.ts";
import type { AppComponentEntry, Application, JsonObject, OverlayComponentPatch, Project, TraitDefinition, WorkloadDefinition } from "../types.ts";
import type { Rule, RuleContext } from "./context.ts";
import { describeProject, projectOf } from "./projects.ts";
import { resolveEntry } from "./references.ts";

type Def = WorkloadDefinition | TraitDefinition;

/** One template file as the applications of one Project use it (two definitions may name the same file). */
interface Use {
  project: Project;
  file: string;
  /** Each (definition, chart) rendering it: the chart is the `<% chart %>` it sees; objects: whether its objects are rendered. */
  renders: Map<string, { def: Def; ref: string; chart: WorkloadDefinition; objects: boolean }>;
  users: Set<string>;
}

const WHY: Record<OutsideFunction, string> = {
  lookup: "reads objects from the cluster, outside the release (another namespace's Secrets, for one)",
  getHostByName: "resolves DNS names from where helm runs, outside the release",
  tpl: "renders a string as a template at install time, so a value could call lookup",
};

/** Whether the layers (entry, then overlays) leave a trait switched on: `traits.<name>`, then raw `values.traits.<name>.enabled`. */
function traitOn(layers: readonly (AppComponentEntry | OverlayComponentPatch)[], name: string): boolean {
  let on = false;
  for (const l of layers) {
    const t = l.traits?.[name];
    if (t !== undefined) on = t !== false;
    const raw = ((l.values?.traits as JsonObject | undefined)?.[name] as JsonObject | undefined)?.enabled;
    if (raw !== undefined) on = Boolean(raw);
  }
  return on;
}

const templateFile = (def: Def, ref: string) => posix.normalize(posix.join(posix.dirname(def.origin.file), ref));

function collectUses(ctx: RuleContext, app: Application, project: Project, uses: Map<string, Use>): void {
  const add = (def: Def, ref: string, chart: WorkloadDefinition, objects: boolean, user: string) => {
    const file = templateFile(def, ref);
    const key = `${project.metadata.name}\0${file}`;
    const u = uses.get(key) ?? { project, file, renders: new Map(), users: new Set() };
    const rkey = `${def.kind}\0${def.metadata.name}\0${ref}\0${chart.metadata.name}`;
    const r = u.renders.get(rkey);
    if (r) r.objects ||= objects;
    else u.renders.set(rkey, { def, ref, chart, objects });
    u.users.add(user);
    uses.set(key, u);
  };
  for (const cluster of clustersFor(app, ctx.docs.clusters)) {
    const overlays = overlaysFor(app, cluster, ctx.overlays);
    for (const entry of app.spec.components) {
      const patches = overlays.flatMap((o) => (o.spec.components[entry.name] ? [o.spec.components[entry.name]!] : []));
      if (patches.some((p) => p.external)) continue; // berth's own ExternalName chart
      const comp = resolveEntry(ctx, entry, patches.flatMap((p) => (p.version ? [p.version] : [])));
      const w = comp && ctx.workloads.get(comp.spec.workload);
      if (!w) continue; // reported by the reference rules
      const user = `application ${app.metadata.name} entry ${entry.name}`;
      for (const ref of w.spec.templates) add(w, ref, w, true, user);
      for (const t of ctx.docs.traits) {
        if (!t.spec.appliesTo.includes("*") && !t.spec.appliesTo.includes(w.metadata.name)) continue;
        const on = traitOn([entry, ...patches], t.metadata.name);
        // a `_` file holds defines that any template of the chart may include
        for (const ref of t.spec.templates) add(t, ref, w, on || posix.basename(ref).startsWith("_"), user);
      }
    }
  }
}

function issuesOf(u: Use, scans: Map<string, TemplateScan>): Issue[] {
  const allowed = u.project.spec.clusterScoped ?? [];
  // one issue per place in the file, however many definitions and charts render it
  const found = new Map<string, { line: number; col: number; path: string; what: string; fix: string }>();
  const note = (p: { line: number; col: number }, path: string, what: string, fix: string) => {
    const key = `${p.line}:${p.col}:${what}`;
    if (!found.has(key)) found.set(key, { line: p.line, col: p.col, path, what, fix });
  };
  for (const [key, { def, ref, chart, objects }] of u.renders) {
    const text = def.files[ref];
    if (text === undefined) continue; // could not be read: reported by the loader
    let scan = scans.get(key);
    if (!scan) {
      scan = scanTemplate(text, {
        chart: chart.metadata.name,
        workloadKind: chart.spec.workloadKind,
        workloadVersion: chart.spec.version,
        ...(def.kind === "TraitDefinition" ? { trait: def.metadata.name } : {}),
      });
      scans.set(key, scan);
    }
    if (objects) {
      for (const k of scan.kinds) {
        if (k.kind === undefined)
          note(k, "kind", `the kind is computed (${show(k.computed)}), so it cannot be checked against the Project before applying`, "write the kind literally");
        else if (isClusterScopedKind(k.kind) && !allowed.includes(k.kind))
          note(k, "kind", `${k.kind}${k.apiVersion ? ` (${k.apiVersion})` : ""} is cluster-scoped, and the Project allows cluster-scoped kinds: ${list(allowed)}`, `list ${k.kind} in the Project's spec.clusterScoped, or remove the object from the template`);
      }
      for (const n of scan.namespaces)
        note(n, "metadata.namespace", `sets namespace ${show(n.value)}; under a Project a chart creates its objects in the release's namespace only`, "write {{ .Release.Namespace }} or leave metadata.namespace out");
    }
    for (const c of scan.calls) note(c, "", `Helm's ${c.fn} ${WHY[c.fn]}; a template may not call it under a Project`, "pass what it needs in values instead");
  }
  const defs = [...new Set([...u.renders.values()].map((r) => `${r.def.kind} ${r.def.metadata.name}`))].sort();
  const tail = `(template of ${defs.join(" and ")}, used by ${list([...u.users].sort())}; ${describeProject(u.project)})`;
  return [...found.values()].map((f) => ({ file: u.file, line: f.line, col: f.col, path: f.path, message: `${f.what} ${tail}; ${f.fix}` }));
}

export const projectTemplateRules: Rule = (ctx) => {
  const uses = new Map<string, Use>();
  for (const app of ctx.docs.applications) {
    const p = projectOf(ctx, app);
    if (p) collectUses(ctx, app, p, uses);
  }
  const scans = new Map<string, TemplateScan>();
  return [...uses.values()].flatMap((u) => issuesOf(u, scans));
};
