// A route table over node:http: path templates with `{param}` segments, 404
// for unknown paths, 405 (with Allow) for a known path and the wrong method,
// and a JSON 500 (logged) when a handler throws.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.ts";

export type Method = "GET" | "POST";

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  method: Method;
  /** e.g. `/api/v1/clusters/{cluster}/releases/{release}/history` */
  path: string;
  handle(ctx: RouteContext): void | Promise<void>;
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

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): Compiled {
  const names: string[] = [];
  const source = route.path
    .split("/")
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(m[1]!);
      return "([^/]+)";
    })
    .join("/");
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export interface Router {
  readonly routes: readonly Route[];
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createRouter(routes: Route[], log: Logger): Router {
  const compiled = routes.map(compile);
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://berth.invalid");
    const started = Date.now();
    res.setHeader("x-content-type-options", "nosniff");
    // Method, path and status only: never headers (signatures) or bodies.
    res.once("finish", () => log.debug({ method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started }, "http request"));
    const matching = compiled
      .map((c) => ({ c, m: c.pattern.exec(url.pathname) }))
      .filter((x): x is { c: Compiled; m: RegExpExecArray } => x.m !== null);
    if (matching.length === 0) return sendJson(res, 404, { error: `no route for ${url.pathname}` });
    const hit = matching.find((x) => x.c.route.method === req.method || (req.method === "HEAD" && x.c.route.method === "GET"));
    if (!hit) {
      const allow = [...new Set(matching.map((x) => x.c.route.method))].join(", ");
      return sendJson(res, 405, { error: `${req.method} is not allowed on ${url.pathname}; use ${allow}` }, { allow });
    }
    const params: Record<string, string> = {};
    hit.c.names.forEach((n, i) => (params[n] = decodeURIComponent(hit.m[i + 1]!)));
    try {
      await hit.c.route.handle({ req, res, params, query: url.searchParams });
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      log.error({ err: (err as Error).message, path: url.pathname }, "request failed");
      sendJson(res, 500, { error: (err as Error).message });
    }
  }
  return { routes, handle };
}
