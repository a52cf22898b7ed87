// Checks answers against the OpenAPI document the server generates: the
// schema of (method, path, status) as an ajv validator over the document's
// own components, so a test sees exactly what a client reading it would.
import { Ajv, type ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";

export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; required?: boolean }>; responses: Record<string, { content?: Record<string, { schema: object }> }>; security?: unknown[]; "x-berth-access"?: string }>>;
  components: { schemas: Record<string, object> };
}

const addFormats = formatsModule.default ?? (formatsModule as unknown as typeof formatsModule.default);

export function answerChecker(doc: OpenApiDoc): (method: string, path: string, status: number) => ValidateFunction {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema({ ...doc, $id: "openapi.json" });
  const cache = new Map<string, ValidateFunction>();
  return (method, path, status) => {
    const key = `${method} ${path} ${status}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const answer = doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)];
    const schema = answer?.content?.["application/json"]?.schema;
    if (!schema) throw new Error(`the document gives no JSON answer ${status} for ${key}`);
    const v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components', '"openapi.json#/components')) as object);
    cache.set(key, v);
    return v;
  };
}
