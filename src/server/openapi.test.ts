import { afterEach, describe, expect, it } from "vitest";
import { createServeState } from "./state.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "./metrics.ts";
import { createApp, listen, type Listening } from "./server.ts";

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
});
