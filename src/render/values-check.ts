// What `berth validate` checks of every release's values: the values a
// release would be installed with satisfy its generated chart's
// values.schema.json, as Helm checks them at install time. Pure. Each problem
// is placed at the highest-precedence layer that set the offending path
// (Overlay > Application entry > Component > WorkloadDefinition defaults),
// using the writes resolveRelease records.
import type { ValidateFunction } from "ajv";
import type { Issue } from "../errors.ts";
import { ajvProblems } from "../model/ajv-issues.ts";
import { issueAt, sortIssues } from "../model/issue.ts";
import { compileUserSchema } from "../model/schemas.ts";
import { chartPinKey, type JsonSchema, type ReleaseSpec, type Repo, type TraitDefinition, type WorkloadDefinition } from "../model/types.ts";
import { traitsFor, valuesSchema } from "./chart.ts";
import { deepMerge, isPlainObject } from "./merge.ts";
import { releaseInputs, resolveRelease, type ValueWrite } from "./resolve.ts";

type Path = ReadonlyArray<string | number>;

// one compiled schema per chart: a thousand releases of one workload compile it once
const validators = new WeakMap<WorkloadDefinition, { traits: readonly TraitDefinition[]; validate?: ValidateFunction }>();

function chartValidator(w: WorkloadDefinition, allTraits: readonly TraitDefinition[]): ValidateFunction | undefined {
  const hit = validators.get(w);
  if (hit?.traits === allTraits) return hit.validate;
  // a schema that does not compile is reported where it is written (rules/values.ts)
  const { validate } = compileUserSchema(valuesSchema(w, traitsFor(w.metadata.name, allTraits)));
  validators.set(w, { traits: allTraits, validate });
  return validate;
}

// a third-party chart's schema, compiled once per chart content
const thirdParty = new Map<string, ValidateFunction | undefined>();

function thirdPartyValidator(digest: string, schema: JsonSchema): ValidateFunction | undefined {
  if (!thirdParty.has(digest)) {
    // a schema berth cannot compile is left to Helm, which reports it at install
    thirdParty.set(digest, compileUserSchema(schema).validate);
    if (thirdParty.size > 256) thirdParty.delete(thirdParty.keys().next().value!);
  }
  return thirdParty.get(digest);
}

/**
 * How far write `w` goes along `path`: `depth`, the leading segments it sets
 * (its `at`, then into its value), and `replaces`, whether the node it sets
 * at that depth or above is a list or a scalar, which replaces (rather than
 * merges with) whatever lower layers had there.
 */
export function reach(w: Pick<ValueWrite, "at" | "value">, path: Path): { depth: number; replaces: boolean } {
  let i = 0;
  for (; i < w.at.length; i++) if (i >= path.length || w.at[i] !== path[i]) return { depth: i, replaces: false };
  let cur = w.value;
  for (; i < path.length; i++) {
    if (!isPlainObject(cur)) return { depth: i, replaces: true };
    const k = path[i] as string | number;
    if (typeof k === "string" && k in cur) cur = cur[k];
    else return { depth: i, replaces: false };
  }
  return { depth: path.length, replaces: !isPlainObject(cur) };
}

/**
 * The write to blame for a problem at `path`: of the writes whose content is
 * still in the merged values there, the one that goes deepest along the
 * path, the higher precedence on a tie. `writes` come lowest precedence first.
 */
export function blame<W extends Pick<ValueWrite, "at" | "value">>(writes: readonly W[], path: Path): W | undefined {
  let best: W | undefined;
  let depth = 0;
  for (let n = writes.length - 1; n >= 0; n--) {
    const w = writes[n] as W;
    if (w.value === undefined) continue;
    const r = reach(w, path);
    if (r.depth > depth) {
      best = w;
      depth = r.depth;
    }
    // below a list or scalar this write set, nothing of the lower layers is left
    if (r.replaces) break;
  }
  return best;
}

/** The document field of `path` inside write `w`: below its own field when the path goes past the write's `at`. */
export const fieldOf = (w: ValueWrite, path: Path): (string | number)[] =>
  w.at.every((seg, i) => path[i] === seg) ? [...w.field, ...path.slice(w.at.length)] : w.field;

/** Issues of every release's values; `resolved`, when given, receives each release (so render need not resolve again). */
export function valuesIssues(repo: Repo, resolved?: ReleaseSpec[]): Issue[] {
  const issues: Issue[] = [];
  for (const at of releaseInputs(repo)) {
    const writes: ValueWrite[] = [];
    const r = resolveRelease({ ...at, repo, issues, writes });
    if (r) resolved?.push(r);
    if (!r || r.external || r.unavailable) continue;
    let validate: ValidateFunction | undefined;
    let values = r.values;
    if (r.chart.source) {
      // Helm checks the chart's own defaults merged with the given values
      const pin = repo.chartPins?.get(chartPinKey(r.chart.source, r.chart.name, r.chart.version));
      if (!pin || "unavailable" in pin || !pin.schema) continue;
      validate = thirdPartyValidator(pin.digest, pin.schema);
      values = deepMerge(pin.values, r.values);
    } else {
      const workload = repo.workloads.find((w) => w.metadata.name === r.chart.name);
      validate = workload && chartValidator(workload, repo.traits);
    }
    if (!validate || validate(values)) continue;
    const label = `values.schema.json of chart ${r.chart.name} ${r.chart.version}, release ${r.name}`;
    // nothing a layer wrote: the entry that asks for the release is where to look
    const entry: ValueWrite = { at: [], value: undefined, origin: at.app.origin, field: ["spec", "components", at.index], layer: { kind: "Application", name: at.app.metadata.name } };
    for (const p of ajvProblems(validate.errors, values)) {
      const w = blame(writes, p.path);
      const message = `${p.message} (${label})`;
      issues.push(w ? issueAt(w.origin, fieldOf(w, p.path), message) : issueAt(entry.origin, entry.field, `values.${p.path.join(".")}: ${message}`));
    }
  }
  return sortIssues(issues);
}
