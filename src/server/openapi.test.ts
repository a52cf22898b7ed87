import { afterEach, describe, expect, it } from "vitest";
import { createServeState } from "./state.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "./metrics.ts";
import { createApp, listen, type Listening } from "./server.ts";
import { OPENAPI } from "./openapi.ts";

const app = () =>
  createApp({
    state: createServeState(),
    metrics: createMetrics(),
    log: createLogger({ level: "silent" }),
    history: () => Promise.reject(new Error("unused")),
    webhook: { secret: () => undefined, trigger: () => undefined },
  });

describe("openapi.json", () => {
  let server: Listening | undefined;
  afterEach(() => server?.close());

  it("is served as valid JSON and describes every route the router has, with its method", async () => {
    const router = app();
    server = await listen(router, 0, "127.0.0.1");
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const doc = JSON.parse(await res.text()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const routed = router.routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(routed);
  });

  it("resolves every $ref", async () => {
    server = await listen(app(), 0, "127.0.0.1");
    const text = await (await fetch(`${server.url}/api/v1/openapi.json`)).text();
    const doc = JSON.parse(text) as { components: { schemas: Record<string, unknown> } };
    const refs = [...text.matchAll(/"\$ref": "#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(5);
    for (const r of refs) expect(doc.components.schemas, r).toHaveProperty(r);
  });

  it("declares every path parameter and a success answer for every operation", () => {
    for (const [path, ops] of Object.entries(OPENAPI.paths)) {
      for (const [method, op] of Object.entries(ops) as Array<[string, { parameters?: Array<{ name: string; in: string; required?: boolean }>; responses: Record<string, unknown> }]>) {
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p) => p.in === "path");
        expect(declared.map((p) => p.name), `${method} ${path}`).toEqual(inPath);
        for (const p of declared) expect(p.required).toBe(true);
        expect(Object.keys(op.responses).some((c) => c.startsWith("2")), `${method} ${path}`).toBe(true);
      }
    }
  });
});
