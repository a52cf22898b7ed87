// User data checked against user schemas: application/overlay `config`
// against the Component's config.schema, trait values against the trait's
// schema (`false` switches a trait off and is always valid). Invalid schemas
// are reported where they are written.
import type { Issue } from "../../errors.ts";
import { issueAt, type FieldPath } from "../issue.ts";
import { checkAgainst, compileUserSchema } from "../schemas.ts";
import type { Component, JsonObject, Origin, TraitValues } from "../types.ts";
import type { Rule, RuleContext } from "./context.ts";
import { resolveEntry } from "./references.ts";
import { rangeProblem } from "./fields.ts";

function checkConfig(origin: Origin, at: FieldPath, config: JsonObject | undefined, comp: Component | undefined, out: Issue[]): void {
  if (config === undefined || !comp) return;
  const label = `component ${comp.metadata.name} ${comp.spec.version} config schema`;
  const schema = comp.spec.config?.schema;
  if (!schema) {
    out.push(issueAt(origin, at, `component ${comp.metadata.name} ${comp.spec.version} declares no config schema (spec.config.schema), so it takes no config; remove this or declare the schema`));
    return;
  }
  const { validate } = compileUserSchema(schema);
  if (validate) out.push(...checkAgainst(validate, config, origin, at, label));
}

function checkTraitValues(ctx: RuleContext, origin: Origin, at: FieldPath, traits: TraitValues | undefined, out: Issue[]): void {
  for (const [name, value] of Object.entries(traits ?? {})) {
    if (value === false) continue;
    const def = ctx.traits.get(name);
    if (!def) continue; // reported by the reference rules
    const { validate } = compileUserSchema(def.spec.schema);
    if (validate) out.push(...checkAgainst(validate, value, origin, [...at, name], `trait ${name} schema`));
  }
}

export const valueRules: Rule = (ctx) => {
  const out: Issue[] = [];
  for (const c of ctx.docs.components) {
    const schema = c.spec.config?.schema;
    const got = schema && compileUserSchema(schema);
    if (got && got.error) out.push(issueAt(c.origin, ["spec", "config", "schema", ...(got.at ?? [])], got.error));
  }
  for (const w of ctx.docs.workloads) {
    const got = w.spec.schema && compileUserSchema(w.spec.schema);
    if (got && got.error) out.push(issueAt(w.origin, ["spec", "schema", ...(got.at ?? [])], got.error));
  }
  for (const t of ctx.docs.traits) {
    const got = compileUserSchema(t.spec.schema);
    if (got.error) out.push(issueAt(t.origin, ["spec", "schema", ...(got.at ?? [])], got.error));
  }
  for (const app of ctx.docs.applications)
    app.spec.components.forEach((e, i) => {
      const at = ["spec", "components", i];
      const comp = rangeProblem(e.version) || ctx.broken.Component.has(e.component) ? undefined : resolveEntry(ctx, e);
      checkConfig(app.origin, [...at, "config"], e.config, comp, out);
      checkTraitValues(ctx, app.origin, [...at, "traits"], e.traits, out);
    });
  for (const o of ctx.overlays) {
    const app = ctx.apps.get(o.spec.application);
    for (const [key, patch] of Object.entries(o.spec.components)) {
      const at = ["spec", "components", key];
      checkTraitValues(ctx, o.origin, [...at, "traits"], patch.traits, out);
      const entry = app?.spec.components.find((e) => e.name === key);
      if (!entry || rangeProblem(entry.version) || ctx.broken.Component.has(entry.component)) continue;
      const extra = patch.version !== undefined && !rangeProblem(patch.version) ? [patch.version] : [];
      checkConfig(o.origin, [...at, "config"], patch.config, resolveEntry(ctx, entry, extra), out);
    }
  }
  return out;
};
