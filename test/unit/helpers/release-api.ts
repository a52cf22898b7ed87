// The per-release routes served by the real router on a loopback port, with
// --auth-file tokens, and every answer checked against the OpenAPI document
// generated from those very routes.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import type { ActionRecord } from "../../../src/reconcile/memo.ts";
import { sha256, type TokenEntry } from "../../../src/server/auth.ts";
import { openapiDocument } from "../../../src/server/openapi.ts";
import { createRouter, type Route } from "../../../src/server/router.ts";
import { createServeState, type ServeState } from "../../../src/server/state.ts";
import { answerChecker, type OpenApiDoc } from "./openapi-check.ts";
import { runReport, status } from "./serve-fixtures.ts";

export const TOKENS: TokenEntry[] = [
  { name: "ci-bot", digest: sha256("viewer-t0ken"), role: "viewer" },
  { name: "shop-oncall", digest: sha256("operator-t0ken"), role: "operator", applications: ["shop"] },
  { name: "other-oncall", digest: sha256("other-t0ken"), role: "operator", applications: ["billing"] },
  { name: "platform", digest: sha256("admin-t0ken"), role: "admin" },
];
export const AS = { viewer: "viewer-t0ken", operator: "operator-t0ken", other: "other-t0ken", admin: "admin-t0ken" } as const;

/** A state whose snapshot places shop-api (application shop) on east and west. */
export function stateWithSnapshot(): ServeState {
  const state = createServeState();
  state.snapshot = { status: status(), blocked: new Map(), report: runReport(), at: new Date() };
  return state;
}

export const silent = pino({ level: "silent" });

export interface Served {
  url: string;
  /** fetch with `token` as Bearer, and the answer checked against the document (JSON answers). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are checked against the document, then by the assertions
  call(method: "GET" | "POST", path: string, o?: { token?: string; body?: unknown; template?: string }): Promise<{ status: number; body: any; text: string; type: string }>;
  close(): Promise<void>;
  doc: OpenApiDoc;
}

export async function serveRoutes(routes: Route[], tokens: TokenEntry[] = TOKENS): Promise<Served> {
  const router = createRouter(routes, silent, { tokens: () => tokens });
  const doc = openapiDocument(routes) as unknown as OpenApiDoc;
  const check = answerChecker(doc);
  const server = createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    doc,
    async call(method, path, o = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { "content-type": "application/json" } : {}) },
        ...(o.body !== undefined ? { body: typeof o.body === "string" ? o.body : JSON.stringify(o.body) } : {}),
      });
      const type = res.headers.get("content-type") ?? "";
      const text = await res.text();
      const body = type.includes("json") ? JSON.parse(text) : text;
      if (type.includes("json")) {
        // The documented path: the route's template, found by matching the concrete path.
        const template = o.template ?? Object.keys(doc.paths).find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, "[^/]+")}$`).test(path.split("?")[0]!));
        if (!template) throw new Error(`no documented path matches ${path}`);
        const v = check(method, template, res.status);
        if (!v(body)) throw new Error(`${method} ${path} ${res.status} does not match the document: ${JSON.stringify(v.errors)}\n${text}`);
      }
      return { status: res.status, body, text, type };
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Server-sent events of a text/event-stream body: each event's name (default message) and data. */
export function parseEvents(text: string): Array<{ event: string; data: string }> {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.split("\n").every((l) => l.startsWith(":")))
    .map((block) => {
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else if (line === "data:") data.push("");
      }
      return { event, data: data.join("\n") };
    });
}

export type { ActionRecord };
