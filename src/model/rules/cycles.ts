// No dependency cycles across dependsOn (within an application) and the
// `requires` of the Component version each entry resolves to (to any entry
// running that component). Each cycle is reported once, named in full.
import type { Issue } from "../../errors.ts";
import { issueAt, type FieldPath } from "../issue.ts";
import type { Origin } from "../types.ts";
import type { Rule } from "./context.ts";
import { resolveEntry } from "./references.ts";
import { rangeProblem } from "./fields.ts";

interface Edge {
  to: string;
  origin: Origin;
  path: FieldPath;
  via: string;
}

const key = (app: string, entry: string) => `${app}/${entry}`;

export const cycleRules: Rule = (ctx) => {
  const edges = new Map<string, Edge[]>();
  const byComponent = new Map<string, string[]>(); // component name -> entry keys running it
  for (const app of ctx.docs.applications)
    for (const e of app.spec.components) {
      const k = key(app.metadata.name, e.name);
      edges.set(k, []);
      byComponent.set(e.component, [...(byComponent.get(e.component) ?? []), k]);
    }
  for (const app of ctx.docs.applications) {
    const names = new Set(app.spec.components.map((e) => e.name));
    app.spec.components.forEach((e, i) => {
      const from = edges.get(key(app.metadata.name, e.name)) ?? [];
      (e.dependsOn ?? []).forEach((d, j) => {
        if (names.has(d) && d !== e.name)
          from.push({ to: key(app.metadata.name, d), origin: app.origin, path: ["spec", "components", i, "dependsOn", j], via: "dependsOn" });
      });
      const comp = rangeProblem(e.version) ? undefined : resolveEntry(ctx, e);
      for (const req of Object.keys(comp?.spec.requires ?? ctx.charts.get(e.component)?.spec.requires ?? {}))
        for (const target of byComponent.get(req) ?? [])
          if (target !== key(app.metadata.name, e.name))
            from.push({ to: target, origin: app.origin, path: ["spec", "components", i, "component"], via: `requires of ${e.component}` });
    });
  }
  return findCycles(edges);
};

function findCycles(edges: Map<string, Edge[]>): Issue[] {
  const state = new Map<string, "active" | "done">();
  const stack: { node: string; edge?: Edge }[] = [];
  const seen = new Set<string>();
  const out: Issue[] = [];
  const apps = new Set([...edges.keys()].map((k) => k.split("/")[0]));
  const label = (k: string) => (apps.size > 1 ? k : k.slice(k.indexOf("/") + 1));

  const visit = (node: string): void => {
    state.set(node, "active");
    for (const edge of edges.get(node) ?? []) {
      const s = state.get(edge.to);
      if (s === "active") {
        const start = stack.findIndex((f) => f.node === edge.to);
        const cycle = stack.slice(start).map((f) => f.node);
        const cycleEdges = [...stack.slice(start + 1).map((f) => f.edge as Edge), edge];
        const id = [...cycle].sort().join(" ");
        if (seen.has(id)) continue;
        seen.add(id);
        const text = [...cycle, edge.to].map(label).join(" -> ");
        const vias = [...new Set(cycleEdges.map((e) => e.via))].join(", ");
        out.push(issueAt(edge.origin, edge.path, `dependency cycle: ${text} (through ${vias}); remove one of these dependencies`));
      } else if (s === undefined) {
        stack.push({ node: edge.to, edge });
        visit(edge.to);
        stack.pop();
      }
    }
    state.set(node, "done");
  };
  for (const node of [...edges.keys()].sort()) {
    if (state.has(node)) continue;
    stack.push({ node });
    visit(node);
    stack.pop();
  }
  return out;
}
