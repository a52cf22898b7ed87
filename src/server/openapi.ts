// The OpenAPI 3.1 document of everything the server answers, generated from
// the route table and the schemas the router validates with (api-schemas.ts),
// served at /api/v1/openapi.json. Each schema with a title becomes a named
// component and is referenced wherever it appears.
import { Type, type Static, type TObject, type TSchema } from "@sinclair/typebox";
import { ErrorBody } from "./api-schemas.ts";
import { defineRoute, type Answers, type Route } from "./router.ts";

type Json = Record<string, unknown>;

const clone = (s: TSchema | TObject): Json => JSON.parse(JSON.stringify(s)) as Json;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Titled schemas anywhere under `node`, by title; two different schemas under one title are a bug. */
function collect(node: unknown, into: Map<string, Json>): void {
  if (Array.isArray(node)) return node.forEach((n) => collect(n, into));
  if (!isObject(node)) return;
  if (typeof node.title === "string") {
    const seen = into.get(node.title);
    if (seen && JSON.stringify(seen) !== JSON.stringify(node)) throw new Error(`two different schemas are titled ${node.title}`);
    into.set(node.title, node);
  }
  for (const v of Object.values(node)) collect(v, into);
}

/** `node` with every titled schema below it (itself too unless `keep`) replaced by a $ref. */
function refs(node: unknown, keep = false): unknown {
  if (Array.isArray(node)) return node.map((n) => refs(n));
  if (!isObject(node)) return node;
  if (!keep && typeof node.title === "string") return { $ref: `#/components/schemas/${node.title}` };
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, refs(v)]));
}

function parameters(where: "path" | "query" | "header", schema: TObject | undefined): Json[] {
  if (!schema) return [];
  const s = clone(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === "path" || (s.required ?? []).includes(name), ...(description ? { description } : {}), schema: refs(rest) };
  });
}

const errorAnswer = (description: string) => ({ description, content: { "application/json": { schema: refs(clone(ErrorBody)) } } });

function operation(r: Route): Json {
  const responses: Record<string, unknown> = {};
  for (const [status, a] of Object.entries(r.responses as Answers)) {
    responses[status] =
      "schema" in a
        ? { description: a.description, content: { "application/json": { schema: refs(clone(a.schema)) }, ...(a.stream ? { [a.stream]: { schema: { type: "string" } } } : {}) } }
        : { description: a.description, content: { [a.contentType]: { schema: { type: "string" } } } };
  }
  if (r.params || r.query || r.headers || r.body) responses["400"] ??= errorAnswer("A parameter or the body does not match its schema; the message names the field");
  if (r.body) responses["413"] ??= errorAnswer("Body over the size limit");
  if (r.access !== "public") responses["401"] ??= errorAnswer("With --auth-file: no token, or one the auth file does not know (WWW-Authenticate: Bearer)");
  if (typeof r.access === "object") responses["403"] ??= errorAnswer("The token's role or applications do not allow this action (a viewer reads only; an operator acts on its applications); without --auth-file nobody acts");
  const params = [...parameters("path", r.params), ...parameters("query", r.query), ...parameters("header", r.headers)];
  // A body whose schema requires no field may be left out (the router reads an empty one as {}).
  const body = r.body ? { required: ((r.body as { required?: string[] }).required ?? []).length > 0, content: { "application/json": { schema: refs(clone(r.body)) } } } : r.rawBody ? { required: true, description: r.rawBody.description, content: { [r.rawBody.contentType]: { schema: { type: "object" } } } } : undefined;
  return {
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    ...(params.length ? { parameters: params } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
    ...(r.access === "public" ? {} : { security: [{ bearer: [] }] }),
    // What the token needs, for clients that show only what a role may do.
    "x-berth-access": typeof r.access === "object" ? "action" : r.access,
  };
}

export function openapiDocument(routes: readonly Route[]): Json {
  const found = new Map<string, Json>();
  for (const r of routes) {
    for (const s of [r.params, r.query, r.headers, r.body, ...Object.values(r.responses as Answers).map((a) => ("schema" in a ? a.schema : undefined))]) if (s) collect(clone(s), found);
  }
  collect(clone(ErrorBody), found);
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: "3.1.0",
    info: {
      title: "berth",
      version: "v1",
      description:
        "Status, plan, history and drift of a running `berth serve`, its probes, metrics and push webhook. With --auth-file, every route but /healthz, /readyz, /metrics and /hooks/git needs `Authorization: Bearer <token>`: a viewer reads, an operator also acts on its applications, an admin does everything. Without it the API and page are served on loopback only, and nobody acts.",
    },
    paths,
    components: {
      schemas: Object.fromEntries([...found].sort(([a], [b]) => a.localeCompare(b)).map(([name, s]) => [name, refs(s, true)])),
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "a token of --auth-file (which keeps only its sha256)" } },
    },
  };
}

const OpenApiDoc = Type.Object({ openapi: Type.String(), info: Type.Object({}), paths: Type.Object({}), components: Type.Object({}) }, { description: "OpenAPI 3.1" });

/** GET /api/v1/openapi.json: the document of `routes()` (this route among them), generated once. */
export function openapiRoute(routes: () => readonly Route[]): Route {
  let doc: Json | undefined;
  return defineRoute({
    method: "GET",
    path: "/api/v1/openapi.json",
    summary: "This document",
    access: "read",
    responses: { 200: { description: "OK", schema: OpenApiDoc } },
    handle: ({ send }) => {
      doc ??= openapiDocument(routes());
      send(200, doc as Static<typeof OpenApiDoc>);
    },
  });
}
