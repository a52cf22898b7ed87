// Config and trait values come in layers (application entry, then each
// overlay that applies on a cluster) that merge the way the renderer merges
// them: mappings deeply, lists replace, `false` switches a trait off, `true`
// switches it on as it is. The merged value is what must satisfy the schema;
// an error is blamed on the last layer that wrote the offending field.
import type { ErrorObject, ValidateFunction } from "ajv";
import type { Issue } from "../../errors.ts";
import { ajvIssues, pointerToPath } from "../ajv-issues.ts";
import type { FieldPath } from "../issue.ts";
import type { Origin } from "../types.ts";

export interface Layer {
  value: unknown;
  origin: Origin;
  path: FieldPath; // where the value sits in its document
  /** The document holds one object where the schema asks for a list: `value` is that object wrapped in a list of one. */
  wrapped?: boolean;
}

/** A list trait's layer: one object written alone is a list of that one (render/resolve.ts applyTrait does the same). */
export function listLayer(l: Layer): Layer {
  return isObject(l.value) ? { ...l, value: [l.value], wrapped: true } : l;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function deepMerge(a: unknown, b: unknown): unknown {
  if (!isObject(a) || !isObject(b)) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

/** The merged value and the layers that shaped it (a `false` or a list starts afresh). */
export function fold(layers: readonly Layer[], empty: () => unknown): { value: unknown; from: Layer[] } {
  let value: unknown = undefined;
  let from: Layer[] = [];
  for (const l of layers) {
    if (l.value === false) {
      value = false;
      from = [l];
    } else if (l.value === true) {
      if (!isObject(value) && !Array.isArray(value)) value = empty();
      from = [...from.filter((f) => f.value !== false), l];
    } else if (isObject(l.value) && isObject(value)) {
      value = deepMerge(value, l.value);
      from = [...from, l];
    } else {
      value = l.value;
      from = [l];
    }
  }
  return { value, from };
}

function has(value: unknown, path: readonly (string | number)[]): boolean {
  let cur = value;
  for (const p of path) {
    if (isObject(cur) && typeof p === "string" && p in cur) cur = cur[p];
    else if (Array.isArray(cur) && typeof p === "number" && p < cur.length) cur = cur[p];
    else return false;
  }
  return true;
}

/** Issues of the merged value, each placed in the layer that last wrote the field. */
export function checkLayers(validate: ValidateFunction, layers: readonly Layer[], label: string, empty: () => unknown): Issue[] {
  const { value, from } = fold(layers, empty);
  if (value === false || value === undefined || from.length === 0 || validate(value)) return [];
  const groups = new Map<Layer, ErrorObject[]>();
  for (const e of validate.errors ?? []) {
    const at = pointerToPath(e.instancePath, value);
    const extra = (e.params as { additionalProperty?: string }).additionalProperty;
    if (e.keyword === "additionalProperties" && extra !== undefined) at.push(extra);
    const blamed = [...from].reverse().find((l) => has(l.value, at)) ?? (from[from.length - 1] as Layer);
    groups.set(blamed, [...(groups.get(blamed) ?? []), e]);
  }
  return [...groups].flatMap(([layer, errors]) => {
    // a wrapped layer is the whole list (a list replaces): its item 0 is the object as written
    const [errs, at] = layer.wrapped && Array.isArray(value) ? [errors.map(unwrapError), value[0]] : [errors, value];
    return ajvIssues(errs, at, layer.origin, layer.path).map((i) => ({ ...i, message: `${i.message} (${label})` }));
  });
}

/** An error inside item 0 of a wrapped list, as a path inside the object written. */
function unwrapError(e: ErrorObject): ErrorObject {
  return /^\/0(\/|$)/.test(e.instancePath) ? { ...e, instancePath: e.instancePath.slice(2) } : e;
}
