// Compiles the JSON Schemas of berth's kinds (definitions/schemas/*.schema.json,
// read by load.ts) and the schemas users write (Component config, trait
// properties). Pure: schemas come in as data.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import type { Issue } from "../errors.ts";
import { ajvIssues, pointerToPath } from "./ajv-issues.ts";
import { canonical } from "./canonical.ts";
import type { ParsedDoc } from "./parse.ts";
import type { FieldPath } from "./issue.ts";
import { KINDS, type JsonSchema, type Kind, type Origin } from "./types.ts";

// ajv-formats is CommonJS: its function is both the module and its `default`.
const addFormats = formatsModule.default ?? (formatsModule as unknown as typeof formatsModule.default);

/** The schema files: `common` (shared definitions) and one per kind. */
export interface SchemaSet {
  common: JsonSchema;
  kinds: Record<Kind, JsonSchema>;
}

export type ShapeChecker = (doc: ParsedDoc) => Issue[];

const checkers = new WeakMap<SchemaSet, ShapeChecker>();

/** One validator per kind (compiled once per SchemaSet); every error of a document at once. */
export function createShapeChecker(schemas: SchemaSet): ShapeChecker {
  const hit = checkers.get(schemas);
  if (hit) return hit;
  const checker = compileShapeChecker(schemas);
  checkers.set(schemas, checker);
  return checker;
}

function compileShapeChecker(schemas: SchemaSet): ShapeChecker {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  ajv.addSchema(schemas.common);
  const validators = new Map<Kind, ValidateFunction>();
  for (const kind of KINDS) validators.set(kind, ajv.compile(schemas.kinds[kind]));
  return (doc) => {
    const validate = validators.get(doc.kind);
    if (!validate || validate(doc.data)) return [];
    return ajvIssues(validate.errors, doc.data, doc.origin);
  };
}

// Users' schemas: lenient about unknown keywords (they may carry their own
// annotations), formats known, never fetching remote $refs.
const USER_OPTIONS = { allErrors: true, verbose: true, strict: false, validateSchema: false } as const;
const userAjv = new Ajv(USER_OPTIONS);
addFormats(userAjv);
// charts write `$schema` for the draft they follow (values.schema.json); Helm honours it
const userAjv2019 = new Ajv2019(USER_OPTIONS);
addFormats(userAjv2019);
const userAjv2020 = new Ajv2020(USER_OPTIONS);
addFormats(userAjv2020);

/**
 * The validator for the draft a schema's `$schema` names, and the schema to
 * check against that draft's meta-schema: its `$schema` left out, since the
 * spellings in use (https://, no trailing #, `schema#` for the latest) are not
 * all ids Ajv knows. Older drafts (04, 06) and anything else go to draft-07,
 * which reads them nearly alike.
 */
export function draftOf(schema: JsonSchema): { ajv: Ajv; meta: JsonSchema } {
  const named = typeof schema.$schema === "string" ? schema.$schema : "";
  const { $schema: _named, ...meta } = schema;
  if (/^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/.test(named)) return { ajv: userAjv2020, meta };
  if (/^https?:\/\/json-schema\.org\/draft\/2019-09\/schema#?$/.test(named)) return { ajv: userAjv2019, meta };
  return { ajv: userAjv, meta };
}
export interface CompiledUserSchema {
  validate?: ValidateFunction;
  error?: string;
  /** Where inside the schema the problem is. */
  at?: (string | number)[];
}
// by content: a thousand Components with the same config schema compile it once
const compiled = new Map<string, CompiledUserSchema>();
const byObject = new WeakMap<object, CompiledUserSchema>();

/** Compiles a user-written schema once; `error` says why it is not a valid JSON Schema. */
export function compileUserSchema(schema: JsonSchema): CompiledUserSchema {
  const seen = byObject.get(schema);
  if (seen) return seen;
  const key = canonical(schema);
  const hit = compiled.get(key);
  if (hit) {
    byObject.set(schema, hit);
    return hit;
  }
  let result: CompiledUserSchema;
  const { ajv, meta } = draftOf(schema);
  try {
    if (!ajv.validateSchema(meta)) {
      const first = ajv.errors?.[0];
      result = { error: `is not a valid JSON Schema: ${metaProblem(ajv.errors ?? [])}`, at: first ? pointerToPath(first.instancePath, schema) : [] };
    } else result = { validate: ajv.compile(meta) };
  } catch (err) {
    result = { error: `is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}` };
  }
  compiled.set(key, result);
  byObject.set(schema, result);
  return result;
}

/** The first meta-schema error, said plainly: `type must be one of array, boolean, ...` */
function metaProblem(errors: ErrorObject[]): string {
  const e = errors[0];
  if (!e) return "unknown problem";
  const where = e.instancePath ? e.instancePath.slice(1).split("/").join(".") : "the schema";
  const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
  if (allowed) return `${where} must be one of ${allowed.map(String).join(", ")}`;
  return `${where} ${e.message ?? "is invalid"}`;
}

/** Issues of `value` (found at `at` in the document of `origin`) against a compiled user schema. */
export function checkAgainst(validate: ValidateFunction, value: unknown, origin: Origin, at: FieldPath, label: string): Issue[] {
  if (validate(value)) return [];
  return ajvIssues(validate.errors, value, origin, at).map((i) => ({ ...i, message: `${i.message} (${label})` }));
}
