// A route table over node:http. Each route declares, once, what the OpenAPI
// document says of it and what the router enforces: who may call it
// (access), its path, query, header and body schemas, and its answers. In
// order: 404 for unknown paths, 405 (with Allow) for the wrong method, 401/403
// from the access decision (auth.ts), 400 naming the field a request gets
// wrong, then the handler; a JSON 500 (logged) when it throws.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TObject, TSchema } from "@sinclair/typebox";
import { Ajv, type ValidateFunction } from "ajv";
import type { Logger } from "../log.ts";
import { ajvProblems } from "../model/ajv-issues.ts";
import { formatPath } from "../model/origin.ts";
import { decide, type Access, type Identity, type TokenEntry } from "./auth.ts";
import { BodyTooLarge, readBody } from "./body.ts";

export type Method = "GET" | "POST";

export interface JsonAnswer<S extends TSchema = TSchema> {
  description: string;
  schema: S;
  /** The same status may answer this content type instead, written by the handler to `res` (a log followed: text/event-stream). */
  stream?: string;
}
/** An answer that is not JSON (the page, metrics, a log stream). */
export interface OtherAnswer {
  description: string;
  contentType: string;
}
export type Answers = Readonly<Record<number, JsonAnswer | OtherAnswer>>;

// A schema's static type, read from its `static` member instead of through
// Static<>: checking a TypeBox type against TSchema while a route's generics
// are still being inferred is too deep for the compiler.
type StaticOr<S, D> = [S] extends [undefined] ? D : S extends { static: infer T } ? T : D;
type JsonStatus<R> = { [K in keyof R]: R[K] extends { schema: unknown } ? K : never }[keyof R] & number;
type JsonBody<R, K extends keyof R> = R[K] extends { schema: infer S } ? StaticOr<S, never> : never;

export interface RouteContext<P, Q, B, R extends Answers> {
  req: IncomingMessage;
  res: ServerResponse;
  params: P;
  query: Q;
  /** The validated JSON body (routes with `body`). */
  body: B;
  /** The caller (name, role), when serve has --auth-file and the route is not public: what an action records as its actor. */
  identity?: Identity;
  /** Sends a documented JSON answer; the compiler holds `body` to that answer's schema. */
  send<K extends JsonStatus<R>>(status: K, body: JsonBody<R, K>, headers?: Record<string, string>): void;
}

export interface RouteSpec<P extends TObject | undefined, Q extends TObject | undefined, B extends TSchema | undefined, R extends Answers> {
  method: Method;
  /** e.g. `/api/v1/clusters/{cluster}/releases/{release}/history` */
  path: string;
  summary: string;
  description?: string;
  access: Access;
  params?: P;
  query?: Q;
  /** Request headers the route reads, documented and validated (names in lower case). */
  headers?: TObject;
  body?: B;
  /** A body the handler reads itself (a signed webhook needs the raw bytes): documented, never parsed here. */
  rawBody?: { contentType: string; description: string };
  /** Every answer but 400/401/403, which the router gives and documents from the schemas and access. */
  responses: R;
  handle(ctx: RouteContext<StaticOr<P, Record<string, string>>, StaticOr<Q, Record<string, string>>, StaticOr<B, undefined>, R>): void | Promise<void>;
}

/** A route as the table holds it, of any shape: defineRoute has checked its handler against its schemas. */
export interface Route extends Omit<RouteSpec<TObject | undefined, TObject | undefined, TSchema | undefined, Answers>, "handle"> {
  handle(ctx: RouteContext<Record<string, string>, Record<string, unknown>, unknown, Answers>): void | Promise<void>;
}

/** A route whose handler is typed by its schemas and answers. */
export function defineRoute<P extends TObject | undefined = undefined, Q extends TObject | undefined = undefined, B extends TSchema | undefined = undefined, R extends Answers = Answers>(r: RouteSpec<P, Q, B, R>): Route {
  return r as unknown as Route;
}

/** An error a handler throws to answer with that status and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}

export const BODY_LIMIT = 64 * 1024;

type Part = "params" | "query" | "headers" | "body";

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
  validators: Array<[Part, ValidateFunction]>;
}

function pattern(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split("/")
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]!);
      return "([^/]+)";
    })
    .join("/");
  return { pattern: new RegExp(`^${source}$`), names };
}

/** `query.tail: must be ...; body.to: required field is missing`, from ajv's errors. */
function problems(part: Part, v: ValidateFunction, data: unknown): string {
  return ajvProblems(v.errors, data)
    .map((p) => `${formatPath([part, ...p.path])}: ${p.message}`)
    .join("; ");
}

export interface Router {
  readonly routes: readonly Route[];
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface RouterOptions {
  /** --auth-file's tokens, read per request (the file may change); absent: no --auth-file. */
  tokens?: () => readonly TokenEntry[];
  bodyLimit?: number;
}

export function createRouter(routes: readonly Route[], log: Logger, o: RouterOptions = {}): Router {
  // Query and path strings become the integers and booleans their schemas say.
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false, verbose: true });
  const compiled: Compiled[] = routes.map((route) => ({
    route,
    ...pattern(route.path),
    validators: (["params", "query", "headers", "body"] as const).flatMap((part): Array<[Part, ValidateFunction]> => (route[part] ? [[part, ajv.compile(route[part] as TSchema)]] : [])),
  }));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://berth.invalid");
    const started = Date.now();
    const caller: { name?: string } = {};
    res.setHeader("x-content-type-options", "nosniff");
    // Method, path, status and the token's name only: never headers (tokens, signatures) or bodies.
    res.once("finish", () => log.debug({ method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started, ...(caller.name ? { who: caller.name } : {}) }, "http request"));
    const matching = compiled
      .map((c) => ({ c, m: c.pattern.exec(url.pathname) }))
      .filter((x): x is { c: Compiled; m: RegExpExecArray } => x.m !== null);
    if (matching.length === 0) return sendJson(res, 404, { error: `no route for ${url.pathname}` });
    const hit = matching.find((x) => x.c.route.method === req.method || (req.method === "HEAD" && x.c.route.method === "GET"));
    if (!hit) {
      const allow = [...new Set(matching.map((x) => x.c.route.method))].join(", ");
      return sendJson(res, 405, { error: `${req.method} is not allowed on ${url.pathname}; use ${allow}` }, { allow });
    }
    const { route } = hit.c;
    const params: Record<string, string> = {};
    try {
      hit.c.names.forEach((n, i) => (params[n] = decodeURIComponent(hit.m[i + 1]!)));
    } catch {
      return sendJson(res, 400, { error: `${url.pathname}: a path segment is not valid percent-encoding` });
    }

    const decision = decide({ tokens: o.tokens?.(), authorization: req.headers.authorization, access: route.access, params });
    if (!decision.allow) {
      if (decision.status === 403) log.info({ method: req.method, path: url.pathname, reason: decision.error }, "request refused");
      return sendJson(res, decision.status, { error: decision.error }, decision.status === 401 ? { "www-authenticate": 'Bearer realm="berth"' } : {});
    }
    if (decision.identity) caller.name = decision.identity.name;

    try {
      const query: Record<string, unknown> = Object.fromEntries(url.searchParams);
      const input: Record<Part, unknown> = { params, query, headers: { ...req.headers }, body: undefined };
      if (route.body) {
        const raw = await readBody(req, o.bodyLimit ?? BODY_LIMIT);
        const text = raw.toString("utf8").trim();
        try {
          input.body = text ? JSON.parse(text) : {};
        } catch (err) {
          throw new HttpError(400, `body: not JSON (${(err as Error).message})`);
        }
      }
      for (const [part, validate] of hit.c.validators) {
        if (!validate(input[part])) throw new HttpError(400, problems(part, validate, input[part]));
      }
      await route.handle({
        req,
        res,
        params,
        query,
        body: input.body,
        ...(decision.identity ? { identity: decision.identity } : {}),
        send: (status: number, body: unknown, headers?: Record<string, string>) => sendJson(res, status, body, headers),
      });
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      if (err instanceof BodyTooLarge) return sendJson(res, 413, { error: err.message }, { connection: "close" });
      log.error({ err: (err as Error).message, path: url.pathname }, "request failed");
      sendJson(res, 500, { error: (err as Error).message });
    }
  }
  return { routes, handle };
}
