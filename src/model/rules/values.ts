// User data checked against user schemas: `config` against the Component's
// config.schema, trait values against the trait's schema. Values are merged
// per cluster as the renderer merges them (application entry, then the
// overlays applying there), so an overlay may set only part of a value.
// Invalid schemas are reported where they are written.
import type { Issue } from "../../errors.ts";
import { issueAt, type FieldPath } from "../issue.ts";
import { compileUserSchema } from "../schemas.ts";
import { clustersFor, overlaysFor } from "../select.ts";
import type { AppComponentEntry, Application, Component, JsonSchema, Origin, Overlay, OverlayComponentPatch } from "../types.ts";
import type { Rule, RuleContext } from "./context.ts";
import { rangeProblem } from "./fields.ts";
import { checkLayers, listLayer, type Layer } from "./layers.ts";
import { resolveEntry } from "./references.ts";

/** What one cluster sees: the overlays applying there, lowest precedence first. */
interface View {
  cluster?: string;
  overlays: Overlay[];
}

interface Patch {
  origin: Origin;
  at: FieldPath; // of the overlay's spec.components.<entry>
  patch: OverlayComponentPatch;
}

const emptyFor = (schema: JsonSchema) => () => (schema.type === "array" ? [] : {});

function checkSchemas(ctx: RuleContext): Issue[] {
  const out: Issue[] = [];
  const report = (origin: Origin, at: FieldPath, schema: JsonSchema | undefined) => {
    const got = schema && compileUserSchema(schema);
    if (got && got.error) out.push(issueAt(origin, [...at, ...(got.at ?? [])], got.error));
  };
  for (const c of ctx.docs.components) report(c.origin, ["spec", "config", "schema"], c.spec.config?.schema);
  for (const w of ctx.docs.workloads) report(w.origin, ["spec", "schema"], w.spec.schema);
  for (const t of ctx.docs.traits) report(t.origin, ["spec", "schema"], t.spec.schema);
  return out;
}

/** Checks one entry with one chain of overlay patches (one cluster's view). */
function checkChain(ctx: RuleContext, app: Application, index: number, entry: AppComponentEntry, view: View, out: Issue[]): void {
  const entryAt = ["spec", "components", index];
  const chain = patchesOf(view.overlays, entry.name);
  const versioned = chain.filter((p) => p.patch.version !== undefined && !rangeProblem(p.patch.version));
  const ranges = versioned.map((p) => p.patch.version as string);
  const comp: Component | undefined = resolveEntry(ctx, entry, ranges);
  if (!comp) {
    // one range alone finding nothing is reported by the reference rules; here only their combination
    const each = versioned.every((p) => resolveEntry(ctx, entry, [p.patch.version as string]));
    const last = versioned[versioned.length - 1];
    if (view.cluster && versioned.length > 1 && each && resolveEntry(ctx, entry) && last)
      out.push(issueAt(last.origin, [...last.at, "version"], `on cluster ${view.cluster}, the overlays' ranges ${versioned.map((p) => JSON.stringify(p.patch.version)).join(", ")} together with the application's ${JSON.stringify(entry.version)} match no version of component ${JSON.stringify(entry.component)}; available: ${(ctx.componentsByName.get(entry.component) ?? []).map((c) => c.spec.version).sort().join(", ")}`));
    return;
  }

  const configLayers: Layer[] = [
    ...(entry.config !== undefined ? [{ value: entry.config, origin: app.origin, path: [...entryAt, "config"] }] : []),
    ...chain.flatMap((p) => (p.patch.config !== undefined ? [{ value: p.patch.config, origin: p.origin, path: [...p.at, "config"] }] : [])),
  ];
  if (configLayers.length > 0) {
    const schema = comp.spec.config?.schema;
    if (!schema) {
      for (const l of configLayers)
        out.push(issueAt(l.origin, l.path, `component ${comp.metadata.name} ${comp.spec.version} declares no config schema (spec.config.schema), so it takes no config; remove this or declare the schema`));
    } else {
      const { validate } = compileUserSchema(schema);
      if (validate) out.push(...checkLayers(validate, configLayers, `component ${comp.metadata.name} ${comp.spec.version} config schema`, () => ({})));
    }
  }

  const names = new Set([...Object.keys(entry.traits ?? {}), ...chain.flatMap((p) => Object.keys(p.patch.traits ?? {}))]);
  for (const name of names) {
    const def = ctx.traits.get(name);
    if (!def) continue; // reported by the reference rules
    const { validate } = compileUserSchema(def.spec.schema);
    if (!validate) continue;
    const layers: Layer[] = [
      ...(entry.traits && name in entry.traits ? [{ value: entry.traits[name], origin: app.origin, path: [...entryAt, "traits", name] }] : []),
      ...chain.flatMap((p) => (p.patch.traits && name in p.patch.traits ? [{ value: p.patch.traits[name], origin: p.origin, path: [...p.at, "traits", name] }] : [])),
    ];
    const list = def.spec.schema.type === "array";
    out.push(...checkLayers(validate, list ? layers.map(listLayer) : layers, `trait ${name} schema; true turns it on as it is, false off${list ? ", one object is a list of one" : ""}`, emptyFor(def.spec.schema)));
  }
}

function patchesOf(overlays: Overlay[], entry: string): Patch[] {
  return overlays.flatMap((o) => {
    const patch = o.spec.components[entry];
    return patch ? [{ origin: o.origin, at: ["spec", "components", entry], patch }] : [];
  });
}

export const valueRules: Rule = (ctx) => {
  const out = checkSchemas(ctx);
  for (const app of ctx.docs.applications) {
    const mine = ctx.overlays.filter((o) => o.spec.application === app.metadata.name);
    const chains: View[] = clustersFor(app, ctx.docs.clusters).map((c) => ({ cluster: c.metadata.name, overlays: overlaysFor(app, c, mine) }));
    const covered = new Set(chains.flatMap((v) => v.overlays));
    // an overlay that applies on none of the app's clusters is still checked, on its own
    const views = [...(chains.length ? chains : [{ overlays: [] }]), ...mine.filter((o) => !covered.has(o)).map((o) => ({ overlays: [o] }))];
    app.spec.components.forEach((entry, i) => {
      // a chart's values are checked against the chart's own schema, once the chart is read (render/values-check.ts)
      if (rangeProblem(entry.version) || ctx.broken.Component.has(entry.component) || ctx.charts.has(entry.component)) return;
      for (const view of views) checkChain(ctx, app, i, entry, view, out);
    });
  }
  return out;
};
