import { Ajv } from "ajv";
import { afterEach, describe, expect, it } from "vitest";
import { answerChecker, type OpenApiDoc } from "../../test/unit/helpers/openapi-check.ts";
import { record } from "../../test/unit/helpers/serve-fixtures.ts";
import { createLogger } from "../log.ts";
import { ACTION_KINDS } from "../plan/action.ts";
import { ROLES } from "../reconcile/actor.ts";
import { RECORD_KINDS } from "../reconcile/memo.ts";
import { createMetrics } from "./metrics.ts";
import { openapiDocument } from "./openapi.ts";
import { releaseActionRoutes } from "./release-actions.ts";
import { releaseReadRoutes } from "./release-reads.ts";
import { createSerial } from "./serial.ts";
import { createApp, listen, type Listening } from "./server.ts";
import { createServeState } from "./state.ts";

// With the per-release reads and actions serve adds (cli/serve.ts).
const unused = () => Promise.reject(new Error("unused"));
const app = () =>
  createApp({
    state: createServeState(),
    metrics: createMetrics(),
    log: createLogger({ level: "silent" }),
    history: unused,
    webhook: { secret: () => undefined, trigger: () => undefined },
    routes: [
      ...releaseReadRoutes({ locate: unused, log: createLogger({ level: "silent" }) }),
      ...releaseActionRoutes({ state: createServeState(), control: { trigger: () => undefined, serial: createSerial(), leading: () => true }, locate: unused, log: createLogger({ level: "silent" }), helmTimeoutMs: 1 }),
    ],
  });

const doc = () => openapiDocument(app().routes) as unknown as OpenApiDoc;
type Schema = { enum?: string[]; properties?: Record<string, Schema>; items?: Schema; $ref?: string };
const component = (name: string) => doc().components.schemas[name] as Schema;

describe("openapi.json", () => {
  let server: Listening | undefined;
  afterEach(() => server?.close());

  it("is served as valid JSON and describes every route the router has, with its method", async () => {
    const router = app();
    server = await listen(router, 0, "127.0.0.1");
    const res = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    const served = JSON.parse(await res.text()) as OpenApiDoc;
    expect(served.openapi).toMatch(/^3\.1\./);
    const documented = Object.entries(served.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const routed = router.routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(documented).toEqual(routed);
    expect(served).toEqual(doc());
  });

  it("names each titled schema once and resolves every $ref; ajv compiles every component", () => {
    const d = doc();
    const text = JSON.stringify(d);
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(new Set(refs).size).toBeGreaterThan(15);
    for (const r of refs) expect(d.components.schemas, r).toHaveProperty(r);
    // no schema is written out twice: a titled one appears only as its component
    expect(JSON.stringify(d.paths)).not.toContain('"title":');
    expect(JSON.stringify(d.components.schemas).match(/"title":/g)?.length).toBe(Object.keys(d.components.schemas).length);
    const check = answerChecker(d);
    for (const [path, ops] of Object.entries(d.paths)) for (const [m, op] of Object.entries(ops)) for (const [status, a] of Object.entries(op.responses)) if (a.content?.["application/json"]) expect(() => check(m, path, Number(status))).not.toThrow();
    expect(() => new Ajv({ strict: false }).addSchema({ ...d, $id: "x" })).not.toThrow();
  });

  it("declares every path parameter, a success answer, and what a token needs, for every operation", () => {
    for (const [path, ops] of Object.entries(doc().paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (op.parameters ?? []).filter((p) => p.in === "path");
        expect(declared.map((p) => p.name), `${method} ${path}`).toEqual(inPath);
        for (const p of declared) expect(p.required).toBe(true);
        expect(Object.keys(op.responses).some((c) => c.startsWith("2")), `${method} ${path}`).toBe(true);
        if (inPath.length) expect(op.responses).toHaveProperty("400");
        const access = op["x-berth-access"];
        expect(["public", "read", "action"]).toContain(access);
        expect(Boolean(op.security), `${method} ${path}`).toBe(access !== "public");
        if (access !== "public") expect(op.responses, `${method} ${path}`).toHaveProperty("401");
        expect("403" in op.responses, `${method} ${path}`).toBe(access === "action");
      }
    }
  });

  it("needs no token only for the probes, metrics, the signed webhook and the page's shell (which holds no data)", () => {
    const open = Object.entries(doc().paths).flatMap(([p, ops]) => Object.entries(ops).filter(([, op]) => op["x-berth-access"] === "public").map(([m]) => `${m.toUpperCase()} ${p}`));
    expect(open.sort()).toEqual(["GET /", "GET /healthz", "GET /metrics", "GET /readyz", "POST /hooks/git"]);
  });

  it("takes its enums from the lists the domain keeps: every record kind, plan action and role", () => {
    expect(component("ActionRecord").properties!.action!.enum).toEqual([...RECORD_KINDS]);
    expect(component("LastAction").properties!.action!.enum).toEqual([...RECORD_KINDS]);
    expect(component("PlannedAction").properties!.kind!.enum).toEqual([...ACTION_KINDS]);
    expect(component("Actor").properties!.role!.enum).toEqual([...ROLES]);
    expect(component("Release").properties!.state!.enum).toEqual(["deploying", "succeeded", "failed", "blocked", "stopped"]);
  });

  it.each([...RECORD_KINDS])("a record of %s, with every field it can carry, is what the document says", (action) => {
    const full = record({
      action,
      fromVersion: "3.0.6",
      error: "it failed",
      result: "failed",
      steps: [{ kind: "run", to: "3.0.7", job: "shop-api-up-3-0-7", succeeded: false, message: "BackoffLimitExceeded", logs: "migrating" }],
      drifted: ["Deployment/shop-api: spec.replicas (by kubectl-scale Update at 2025-01-01T00:00:00Z)"],
      restarted: ["Deployment/shop-api"],
      reason: "the chart was re-pushed under the same version",
      chartDigest: "sha256:abc",
      adopted: { mode: "replace", revision: 3, status: "deployed", chart: { name: "api", version: "1.0.0" }, labelled: [1, 2, 3], kept: "shop-api-adopted", truncated: true, uninstalled: true },
      crds: { created: ["widgets.example.com"], replaced: [] },
      actor: { name: "shop-oncall", role: "operator" },
    });
    const check = answerChecker(doc())("get", "/api/v1/clusters/{cluster}/releases/{release}/history", 200);
    expect(check({ cluster: "east", release: "shop-api", namespace: "shop", suspended: false, records: [full] }), JSON.stringify(check.errors)).toBe(true);
    expect(check({ cluster: "east", release: "shop-api", namespace: "shop", suspended: false, records: [{ ...full, action: "teleport" }] })).toBe(false);
  });
});
