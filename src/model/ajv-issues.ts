// Turns ajv errors into Issues that point at the offending field and say what
// would be right (allowed fields, allowed values, expected type).
import type { ErrorObject } from "ajv";
import type { Issue } from "../errors.ts";
import { issueAt, list, show, type FieldPath } from "./issue.ts";
import type { Origin } from "./types.ts";

/** `/spec/components/0/name` -> ["spec","components",0,"name"] (numbers where the data is an array). */
export function pointerToPath(pointer: string, data: unknown): (string | number)[] {
  if (!pointer) return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}

function describe(e: ErrorObject): string | undefined {
  const d = (e.parentSchema as { description?: unknown } | undefined)?.description;
  return typeof d === "string" ? d : undefined;
}

/** One ajv error as (path, message); undefined to drop noise (e.g. an `if` summary). */
function mapError(e: ErrorObject, data: unknown): { path: (string | number)[]; message: string } | undefined {
  const base = pointerToPath(e.instancePath, data);
  const p = e.params as Record<string, unknown>;
  const desc = describe(e);
  switch (e.keyword) {
    case "required": {
      const field = String(p.missingProperty);
      const sub = (e.parentSchema as { properties?: Record<string, { description?: unknown }> } | undefined)?.properties?.[field];
      const what = typeof sub?.description === "string" ? ` (${sub.description})` : "";
      return { path: [...base, field], message: `required field is missing${what}` };
    }
    case "additionalProperties": {
      const field = String(p.additionalProperty);
      const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
      return { path: [...base, field], message: `unknown field ${JSON.stringify(field)}; allowed here: ${list(Object.keys(props))}` };
    }
    case "enum":
      return {
        path: base,
        message: `must be one of ${list((p.allowedValues as unknown[]).map((v) => show(v)))}, got ${show(e.data)}`,
      };
    case "const":
      return { path: base, message: `must be ${show(p.allowedValue)}, got ${show(e.data)}` };
    case "type": {
      const want = String(p.type).replace(/,/g, " or ");
      const hint =
        want.startsWith("string") && (typeof e.data === "number" || typeof e.data === "boolean")
          ? ` (quote it: "${String(e.data)}")`
          : "";
      return { path: base, message: `must be ${desc ?? `of type ${want}`}, got ${typeName(e.data)} ${show(e.data)}${hint}` };
    }
    case "pattern":
    case "format":
      return { path: base, message: `must be ${desc ?? `${e.keyword} ${show(p.pattern ?? p.format)}`}, got ${show(e.data)}` };
    case "if":
      return undefined; // the failing `then` reports the actual problem
    case "anyOf":
    case "oneOf":
      return { path: base, message: `must match ${e.keyword === "oneOf" ? "exactly one" : "one"} of the allowed shapes${desc ? ` (${desc})` : ""}, got ${show(e.data)}` };
    default:
      return { path: base, message: `${e.message ?? "is invalid"}${desc ? ` (${desc})` : ""}, got ${show(e.data)}` };
  }
}

/**
 * Issues for ajv errors of `data` (which sits at `prefix` in the document).
 * Errors of alternatives (anyOf/oneOf branches) are folded into one per path.
 */
export function ajvIssues(errors: ErrorObject[] | null | undefined, data: unknown, origin: Origin, prefix: FieldPath = []): Issue[] {
  return ajvProblems(errors, data).map((m) => issueAt(origin, [...prefix, ...m.path], m.message));
}

/**
 * ajv errors of `data` as (path inside `data`, message), for callers that
 * place them themselves; the path ends in the missing or unknown field for
 * `required` and `additionalProperties`.
 */
export function ajvProblems(errors: ErrorObject[] | null | undefined, data: unknown): { path: (string | number)[]; message: string }[] {
  if (!errors) return [];
  const out: { path: (string | number)[]; message: string }[] = [];
  const branchy = new Set(errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.instancePath));
  for (const e of errors) {
    // inside an anyOf/oneOf the branch errors only repeat the summary
    if (e.keyword !== "anyOf" && e.keyword !== "oneOf" && [...branchy].some((b) => e.instancePath === b || e.instancePath.startsWith(`${b}/`)))
      continue;
    const m = mapError(e, data);
    if (m) out.push(m);
  }
  return out;
}
