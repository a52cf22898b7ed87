// The service with a fake Reconciler: probes, API, page, webhook, leader hook,
// and that the webhook secret never shows in logs or answers.
import { createHmac } from "node:crypto";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { fakeReconciler, fakeSource, record, SHA1, SHA2, status, type FakeReconciler } from "../../test/unit/helpers/serve-fixtures.ts";
import { answerChecker, type OpenApiDoc } from "../../test/unit/helpers/openapi-check.ts";
import { UsageError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { RECORD_KINDS } from "../reconcile/memo.ts";
import { releaseApplication } from "./api.ts";
import { ErrorBody } from "./api-schemas.ts";
import { sha256, type TokenEntry } from "./auth.ts";
import { createMetrics } from "./metrics.ts";
import { createApp } from "./server.ts";
import { createServeState } from "./state.ts";
import { defineRoute, HttpError } from "./router.ts";
import { openapiDocument } from "./openapi.ts";
import { createSerial } from "./serial.ts";
import { Type } from "@sinclair/typebox";
import { startService, type LeaderHook, type Service, type ServiceOptions } from "./service.ts";

const SECRET = "hook-secret-d0-not-leak";

const TOKENS: TokenEntry[] = [
  { name: "ci-bot", digest: sha256("viewer-t0ken"), role: "viewer" },
  { name: "shop-oncall", digest: sha256("operator-t0ken"), role: "operator", applications: ["shop"] },
  { name: "platform", digest: sha256("admin-t0ken"), role: "admin" },
];

/** An action route as the actions to come will declare one: an operator acts on the release's application only. */
const restartRoute: NonNullable<ServiceOptions["routes"]> = (state) => [
  defineRoute({
    method: "POST",
    path: "/api/v1/clusters/{cluster}/releases/{release}/restart",
    summary: "test action",
    access: { action: releaseApplication(state) },
    params: Type.Object({ cluster: Type.String(), release: Type.String() }),
    responses: { 202: { description: "accepted", schema: Type.Object({ by: Type.String(), role: Type.String() }) }, 404: { description: "unknown", schema: ErrorBody } },
    handle: ({ send, identity }) => send(202, { by: identity!.name, role: identity!.role }),
  }),
];

// The documented answers, as validators over the document the server generates (with the test action).
const DOC = openapiDocument(
  createApp({ state: createServeState(), metrics: createMetrics(), log: createLogger({ level: "silent" }), history: () => Promise.reject(new Error("unused")), webhook: { secret: () => undefined, trigger: () => undefined }, routes: restartRoute(createServeState(), { trigger: () => undefined, serial: createSerial(), leading: () => true }) }).routes,
) as unknown as OpenApiDoc;
const check = answerChecker(DOC);
const documented = (path: string, status = 200) => check("get", path, status);

function fakeLeader(initial: boolean) {
  let leading = initial;
  const subs: Array<(l: boolean) => void> = [];
  const hook: LeaderHook = { isLeader: () => leading, onChange: (cb) => void subs.push(cb) };
  return { hook, set: (l: boolean) => ((leading = l), subs.forEach((cb) => cb(l))) };
}

describe("service", () => {
  let svc: Service | undefined;
  let rec: FakeReconciler;
  let logs = "";
  afterEach(async () => {
    await svc?.close();
    svc = undefined;
    logs = "";
  });
  const start = async (leader?: LeaderHook, extra: Partial<ServiceOptions> = {}) => {
    rec = fakeReconciler();
    const sink = new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) });
    const log = createLogger({ level: "debug", destination: sink });
    svc = await startService({
      reconciler: rec,
      source: fakeSource(),
      metrics: createMetrics(),
      log,
      history: async (cluster, release) => {
        if (cluster !== "east" || release !== "shop-api") throw new HttpError(404, `no release ${release} on ${cluster}`);
        return { cluster, release, namespace: "shop", suspended: false, records: [record(), record({ action: "upgrade", fromVersion: "3.0.6", toVersion: "3.0.7", commit: SHA2 })] };
      },
      port: 0,
      host: "127.0.0.1",
      intervalMs: 60_000,
      webhookSecret: () => SECRET,
      ...(leader ? { leader } : {}),
      ...extra,
    });
    return svc;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are checked by the assertions
  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${svc!.url}${path}`);
    return { status: res.status, body: (res.headers.get("content-type") ?? "").includes("json") ? await res.json() : await res.text() };
  };
  const waitFor = async (ok: () => boolean | Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await ok()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await ok()).toBe(true);
  };

  it("is alive at once and ready after the first pass", async () => {
    await start();
    expect((await get("/healthz")).status).toBe(200);
    await waitFor(async () => (await get("/readyz")).status === 200);
    expect((await get("/readyz")).body).toMatchObject({ ready: true, leader: true, revision: SHA1 });
    expect(rec.runs).toBe(1);
    expect(rec.snapshots).toBe(1);
  });

  it("answers every API route from the snapshot", async () => {
    await start();
    await waitFor(() => svc!.state.snapshot !== undefined);
    const st = await get("/api/v1/status");
    expect(st.body).toMatchObject({ revision: SHA1, leader: true, blocked: { "west/shop-api": expect.stringMatching(/needs shop-redis/) } });
    expect(st.body.clusters.map((c: { name: string }) => c.name)).toEqual(["east", "west"]);
    expect((await get("/api/v1/clusters")).body).toEqual([
      { name: "east", reachable: true, paused: false, releases: 2, healthy: 2 },
      { name: "west", reachable: true, paused: false, releases: 1, healthy: 0 },
    ]);
    expect((await get("/api/v1/applications")).body).toEqual([{ name: "shop", clusters: { east: { releases: 2, healthy: 2 }, west: { releases: 1, healthy: 0 } } }]);
    const rels = (await get("/api/v1/releases?cluster=west")).body;
    expect(rels).toEqual([expect.objectContaining({ cluster: "west", name: "shop-api", deployedVersion: "3.0.5", blocked: expect.any(String), lastError: expect.stringMatching(/timed out/) })]);
    expect((await get("/api/v1/releases")).body).toHaveLength(3);
    const hist = await get("/api/v1/clusters/east/releases/shop-api/history");
    expect(hist.body.records.map((r: { action: string }) => r.action)).toEqual(["install", "upgrade"]);
    expect((await get("/api/v1/clusters/east/releases/nope/history")).status).toBe(404);
    const plan = (await get("/api/v1/plan")).body;
    expect(plan.clusters[0].releases[0]).toEqual({ name: "shop-api", namespace: "shop", application: "shop", state: "Absent", reason: "not installed", action: { kind: "install", description: "install 3.0.6", to: "3.0.6" }, needs: [] });
    const run = (await get("/api/v1/runs/latest")).body;
    expect(run).toMatchObject({ revision: SHA1, helmCalls: 3 });
    expect(run.clusters[1].releases[0].records[0]).toMatchObject({ action: "upgrade", result: "failed" });
    const page = await get("/");
    expect(page.status).toBe(200);
    const csp = (await fetch(`${svc!.url}/`)).headers.get("content-security-policy");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("unsafe-inline");
    expect(page.body).toContain("<title>berth</title>");
    expect(page.body).toContain("api/v1/live");
  });

  it("serves step logs in history only to a request with a known token", async () => {
    const asked: boolean[] = [];
    const withLogs = record({ action: "upgrade", steps: [{ kind: "run", to: "3.0.7", job: "shop-api-up-3-0-7-aaaa0000-123456", succeeded: true, message: "Complete", logs: "password=hunter2" }] });
    const history: ServiceOptions["history"] = async (cluster, release, namespace, o) => {
      asked.push(o.logs);
      return { cluster, release, namespace: namespace ?? "shop", suspended: false, records: [withLogs] };
    };
    const path = "/api/v1/clusters/east/releases/shop-api/history";
    const fetchHistory = async (token?: string) => (await (await fetch(`${svc!.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})).json()) as { records: Array<{ steps: Array<Record<string, unknown>> }> };

    // without --auth-file nobody is authenticated: never any logs, even when the source returns some
    await start(undefined, { history });
    expect(JSON.stringify(await fetchHistory("t0ken"))).not.toContain("hunter2");
    expect((await fetchHistory()).records[0]!.steps[0]).toEqual({ kind: "run", to: "3.0.7", job: "shop-api-up-3-0-7-aaaa0000-123456", succeeded: true, message: "Complete" });
    expect(asked).toEqual([false, false]);
    await svc!.close();

    await start(undefined, { history, tokens: () => TOKENS });
    expect(JSON.stringify(await fetchHistory())).not.toContain("hunter2");
    expect(JSON.stringify(await fetchHistory("t0ken"))).not.toContain("hunter2");
    expect((await fetchHistory("viewer-t0ken")).records[0]!.steps[0]!.logs).toBe("password=hunter2");
    expect(asked.slice(2)).toEqual([true]);
  });

  const GETS = Object.entries(DOC.paths)
    .filter(([, ops]) => ops.get?.responses["200"]?.content?.["application/json"])
    .map(([path]) => path);

  it("documents a JSON answer for every GET route but the page and metrics", () => {
    expect(GETS.sort()).toEqual(["/api/v1/applications", "/api/v1/applications/{application}/graph", "/api/v1/clusters", "/api/v1/clusters/{cluster}/releases/{release}/history", "/api/v1/drift", "/api/v1/openapi.json", "/api/v1/plan", "/api/v1/releases", "/api/v1/runs/latest", "/api/v1/status", "/api/v1/whoami", "/healthz", "/readyz"]);
  });

  it.each(GETS)("GET %s answers what the generated OpenAPI document says", async (path) => {
    await start();
    await waitFor(() => svc!.state.snapshot !== undefined && svc!.state.lastRun !== undefined);
    svc!.state.drift = { run: { revision: SHA1, reports: [] }, at: new Date() };
    const res = await get(path.replace("{cluster}", "east").replace("{release}", "shop-api").replace("{application}", "shop"));
    expect(res.status).toBe(200);
    const validate = documented(path);
    expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
  });

  it("answers 503 before the first snapshot, and 400/404 with the documented error shape", async () => {
    const slow = fakeReconciler();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const snapshot = slow.snapshot.bind(slow);
    await start(undefined, { reconciler: { ...slow, snapshot: async () => (await gate, snapshot()) } });
    for (const path of ["/api/v1/status", "/api/v1/clusters", "/api/v1/applications", "/api/v1/releases", "/api/v1/plan"]) {
      const res = await get(path);
      expect(res.status, path).toBe(503);
      expect(documented(path, 503)(res.body), path).toBe(true);
    }
    release();
    const missing = await get("/api/v1/clusters/east/releases/nope/history");
    expect(missing.status).toBe(404);
    expect(documented("/api/v1/clusters/{cluster}/releases/{release}/history", 404)(missing.body)).toBe(true);
  });

  it("a history holding a record of every action kind, with every field, is what the document says", async () => {
    const records = RECORD_KINDS.map((action) =>
      record({
        action,
        steps: [{ kind: "run", to: "3.0.7", job: `shop-api-${action}`, succeeded: true, message: "Complete", logs: "ok" }],
        ...(action === "correct-drift" ? { drifted: ["Deployment/shop-api: spec.replicas (by kubectl-scale Update at 2025-01-01T00:00:00Z)"] } : {}),
        ...(action === "adopt" ? { adopted: { mode: "label" as const, revision: 2, status: "deployed", labelled: [1, 2] } } : {}),
        ...(action === "install" ? { crds: { created: ["widgets.example.com"], replaced: [] }, chartDigest: "sha256:abc" } : {}),
        ...(action === "rollback" ? { actor: { name: "shop-oncall", role: "operator" as const }, result: "failed" as const, error: "boom" } : {}),
      }),
    );
    await start(undefined, { tokens: () => TOKENS, history: async (cluster, release) => ({ cluster, release, namespace: "shop", suspended: true, records }) });
    for (const token of [undefined, "viewer-t0ken"]) {
      const res = await fetch(`${svc!.url}/api/v1/clusters/east/releases/shop-api/history`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      if (!token) {
        expect(res.status).toBe(401);
        continue;
      }
      const body = (await res.json()) as { records: Array<{ action: string }> };
      expect(body.records.map((r) => r.action)).toEqual([...RECORD_KINDS]);
      const validate = documented("/api/v1/clusters/{cluster}/releases/{release}/history");
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  describe("with --auth-file (tokens)", () => {
    // who -> [GET read route, restart shop-api (app shop), restart blog-web (app blog)]
    it.each<[string, string | undefined, number, number, number]>([
      ["no token", undefined, 401, 401, 401],
      ["an unknown token", "guess", 401, 401, 401],
      ["a viewer", "viewer-t0ken", 200, 403, 403],
      ["an operator of shop", "operator-t0ken", 200, 202, 403],
      ["an admin", "admin-t0ken", 200, 202, 202],
    ])("%s (%s): reads %i, acts on shop %i, on blog %i", async (_who, token, read, actShop, actBlog) => {
      await start(undefined, { tokens: () => TOKENS, routes: restartRoute });
      await waitFor(() => svc!.state.snapshot !== undefined && svc!.state.lastRun !== undefined);
      // a second application on east, whose operator the shop token is not
      svc!.state.snapshot!.status.clusters[0]!.releases.push({ name: "blog-web", namespace: "blog", application: "blog", health: "healthy", state: "succeeded", stateReason: "deployed and healthy", suspended: false });
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      for (const path of ["/api/v1/status", "/api/v1/openapi.json", "/api/v1/clusters", "/api/v1/applications", "/api/v1/releases", "/api/v1/plan", "/api/v1/runs/latest", "/api/v1/clusters/east/releases/shop-api/history", "/api/v1/whoami", "/api/v1/applications/shop/graph"]) {
        const res = await fetch(`${svc!.url}${path}`, { headers });
        expect(res.status, path).toBe(read);
        if (read === 401) expect(res.headers.get("www-authenticate"), path).toBe('Bearer realm="berth"');
      }
      // the page's shell holds no data: it asks for the token itself
      expect((await fetch(`${svc!.url}/`, { headers })).status).toBe(200);
      const act = async (release: string) => {
        const res = await fetch(`${svc!.url}/api/v1/clusters/east/releases/${release}/restart`, { method: "POST", headers });
        const body = (await res.json()) as Record<string, unknown>;
        const validate = check("post", "/api/v1/clusters/{cluster}/releases/{release}/restart", res.status);
        expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
        return { status: res.status, body };
      };
      const shop = await act("shop-api");
      expect(shop.status).toBe(actShop);
      const blog = await act("blog-web");
      expect(blog.status).toBe(actBlog);
      if (actShop === 202) expect(shop.body).toEqual({ by: token === "admin-t0ken" ? "platform" : "shop-oncall", role: token === "admin-t0ken" ? "admin" : "operator" });
      // the probes, metrics and the signed webhook never need a token
      expect((await fetch(`${svc!.url}/healthz`, { headers })).status).toBe(200);
      expect((await fetch(`${svc!.url}/readyz`, { headers })).status).toBe(200);
      expect((await fetch(`${svc!.url}/metrics`, { headers })).status).toBe(200);
      const body = "{}";
      expect((await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { ...headers, "x-gitlab-token": SECRET }, body })).status).toBe(202);
    });

    it("documents the test action with 401 and 403, and every refusal matches the Error schema", async () => {
      const app = createApp({ state: createServeState(), metrics: createMetrics(), log: createLogger({ level: "silent" }), history: () => Promise.reject(new Error("unused")), webhook: { secret: () => undefined, trigger: () => undefined }, routes: restartRoute(createServeState(), { trigger: () => undefined, serial: createSerial(), leading: () => true }) });
      const doc = openapiDocument(app.routes) as unknown as OpenApiDoc;
      const op = doc.paths["/api/v1/clusters/{cluster}/releases/{release}/restart"]!.post!;
      expect(Object.keys(op.responses).sort()).toEqual(["202", "400", "401", "403", "404"]);
      expect(op["x-berth-access"]).toBe("action");
      await start(undefined, { tokens: () => TOKENS, routes: restartRoute });
      await waitFor(() => svc!.state.snapshot !== undefined);
      const refused = await fetch(`${svc!.url}/api/v1/clusters/east/releases/shop-api/restart`, { method: "POST", headers: { authorization: "Bearer viewer-t0ken" } });
      expect(answerChecker(doc)("post", "/api/v1/clusters/{cluster}/releases/{release}/restart", 403)(await refused.json())).toBe(true);
    });

    it("never logs a token or its sha256", async () => {
      await start(undefined, { tokens: () => TOKENS, routes: restartRoute });
      await waitFor(() => svc!.state.snapshot !== undefined);
      for (const t of ["viewer-t0ken", "operator-t0ken", "admin-t0ken", "wrong-t0ken"]) {
        await fetch(`${svc!.url}/api/v1/status`, { headers: { authorization: `Bearer ${t}` } });
        await fetch(`${svc!.url}/api/v1/clusters/west/releases/shop-api/restart`, { method: "POST", headers: { authorization: `Bearer ${t}` } });
      }
      expect(logs).toContain('"who":"ci-bot"');
      expect(logs).toContain("request refused");
      for (const t of ["viewer-t0ken", "operator-t0ken", "admin-t0ken", "wrong-t0ken"]) {
        expect(logs).not.toContain(t);
        expect(logs).not.toContain(sha256(t).toString("hex"));
      }
    });
  });

  describe("without --auth-file", () => {
    it("reads are open on loopback, nobody acts, and it says so at start", async () => {
      await start(undefined, { routes: restartRoute });
      await waitFor(() => svc!.state.snapshot !== undefined);
      expect(svc!.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect((await get("/api/v1/status")).status).toBe(200);
      const act = await fetch(`${svc!.url}/api/v1/clusters/east/releases/shop-api/restart`, { method: "POST", headers: { authorization: "Bearer admin-t0ken" } });
      expect(act.status).toBe(403);
      expect(await act.json()).toEqual({ error: "actions need a token: start berth serve with --auth-file" });
      expect(logs).toMatch(/no --auth-file: the API and page are served on loopback only/);
    });

    it("listens on 127.0.0.1 by default and refuses an address off loopback", async () => {
      await start(undefined, { host: undefined });
      expect(svc!.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      await svc!.close();
      svc = undefined;
      await expect(start(undefined, { host: "0.0.0.0" })).rejects.toThrow(UsageError);
      await expect(start(undefined, { host: "10.1.2.3" })).rejects.toThrow(/--host 10\.1\.2\.3 would serve the API and page to the network without tokens: give --auth-file, or keep --host on loopback \(127\.0\.0\.1\) and use --probe-port/);
      svc = undefined;
    });

    it("a probe listener serves /healthz, /readyz, /metrics and /hooks/git only, off loopback", async () => {
      await start(undefined, { probe: { port: 0, host: "0.0.0.0" } });
      await waitFor(() => svc!.state.snapshot !== undefined && svc!.state.lastRun !== undefined);
      const probe = svc!.probeUrl!;
      expect(probe).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/); // 0.0.0.0, shown as reachable locally
      expect(probe).not.toBe(svc!.url);
      expect((await fetch(`${probe}/healthz`)).status).toBe(200);
      expect((await fetch(`${probe}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${probe}/metrics`)).text()).toContain("berth_leader");
      expect((await fetch(`${probe}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": SECRET }, body: "{}" })).status).toBe(202);
      for (const path of ["/", "/api/v1/status", "/api/v1/openapi.json"]) expect((await fetch(`${probe}${path}`)).status, path).toBe(404);
      await svc!.close();
      svc = undefined;
      await expect(fetch(`${probe}/healthz`)).rejects.toThrow();
    });
  });

  it("GET /api/v1/drift: 404 before a check, then the last check as the OpenAPI document says, filtered by cluster", async () => {
    await start();
    await waitFor(() => svc!.state.snapshot !== undefined);
    expect((await get("/api/v1/drift")).status).toBe(404);
    const report = (cluster: string, count: number) => ({
      cluster,
      application: "shop",
      release: "shop-api",
      namespace: "shop",
      policy: "report" as const,
      revision: 3,
      count,
      drifted: count ? [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "shop-api", fields: [{ path: "spec.template.spec.containers[0].image", expected: "api:1", live: "api:2", by: { manager: "kubectl-set", operation: "Update", time: "2024-05-02T09:30:00Z", exact: true } }] }] : [],
    });
    svc!.state.drift = { run: { revision: SHA1, reports: [report("east", 1), report("west", 0)] }, at: new Date() };
    const res = await get("/api/v1/drift");
    expect(res.status).toBe(200);
    const validate = documented("/api/v1/drift");
    expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
    expect((await get("/api/v1/drift?cluster=east")).body.reports.map((r: { cluster: string; count: number }) => [r.cluster, r.count])).toEqual([["east", 1]]);
    // the status answer lists the drifted fields too
    const st = await get("/api/v1/status");
    expect(documented("/api/v1/status")(st.body)).toBe(true);
    expect(st.body.drift).toEqual({ "east/shop-api": ['Deployment/shop-api: spec.template.spec.containers[0].image: "api:1" -> "api:2" (by kubectl-set Update at 2024-05-02T09:30:00Z)'] });
  });

  it("a verified webhook runs a pass at once; a bad one runs nothing", async () => {
    await start();
    await waitFor(() => rec.runs === 1 && svc!.state.snapshot !== undefined);
    rec.next = { ...rec.next, revision: SHA2 };
    rec.snapshotStatus = status(SHA2);
    const body = JSON.stringify({ ref: "refs/heads/main", repository: { default_branch: "main" } });
    const bad = await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-hub-signature-256": `sha256=${createHmac("sha256", "wrong").update(body).digest("hex")}` }, body });
    expect(bad.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(rec.runs).toBe(1);
    const started = Date.now();
    const next = svc!.nextPass();
    const ok = await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`, "x-github-event": "push" }, body });
    expect(ok.status).toBe(202);
    await next;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(rec.runs).toBe(2);
    expect((await get("/api/v1/status")).body.revision).toBe(SHA2);
    expect((await get("/metrics")).body).toContain(`berth_last_attempted_revision_info{revision="${SHA2}"} 1`);
  });

  it("a follower never reconciles, reads status, says leader false; it acts once it leads", async () => {
    const leader = fakeLeader(false);
    await start(leader.hook);
    await waitFor(async () => (await get("/readyz")).status === 200);
    expect((await get("/readyz")).body).toMatchObject({ ready: true, leader: false });
    expect((await get("/api/v1/status")).body.leader).toBe(false);
    expect((await get("/metrics")).body).toContain("berth_leader 0");
    expect(rec.runs).toBe(0);
    expect((await get("/api/v1/runs/latest")).status).toBe(404);
    leader.set(true);
    await waitFor(() => rec.runs === 1);
    expect((await get("/metrics")).body).toContain("berth_leader 1");
    leader.set(false);
    svc!.trigger();
    await svc!.nextPass();
    expect(rec.runs).toBe(1);
  });

  it("never shows the webhook secret in logs, status, API or metrics", async () => {
    await start();
    await waitFor(() => svc!.state.snapshot !== undefined);
    const body = JSON.stringify({ object_kind: "push", ref: "refs/heads/main", project: { default_branch: "main" } });
    await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": SECRET, "x-gitlab-event": "Push Hook" }, body });
    await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": `${SECRET}-wrong` }, body });
    await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-hub-signature-256": "sha256=00" }, body });
    const outputs = await Promise.all(["/api/v1/status", "/api/v1/releases", "/api/v1/plan", "/api/v1/runs/latest", "/api/v1/clusters/east/releases/shop-api/history", "/metrics", "/readyz", "/"].map(async (p) => JSON.stringify((await get(p)).body)));
    expect(logs).toContain("webhook accepted");
    expect(logs).toContain("webhook rejected");
    const metrics = String((await get("/metrics")).body);
    expect(metrics).toContain('berth_webhook_deliveries_total{provider="gitlab",outcome="accepted"} 1');
    expect(metrics).toContain('berth_webhook_deliveries_total{provider="gitlab",outcome="rejected"} 1');
    expect(metrics).toContain('berth_webhook_deliveries_total{provider="github",outcome="rejected"} 1');
    for (const out of [logs, ...outputs]) expect(out).not.toContain(SECRET);
  });

  it("runs the after-pass hook (drift) on the leader only; its failure is logged and the loop goes on", async () => {
    const leader = fakeLeader(true);
    const calls: string[] = [];
    await start(leader.hook, {
      afterPass: async ({ report, metrics }) => {
        calls.push(report.revision!);
        metrics.setDrift("east", "shop-api", 3);
        throw new Error("drift check exploded");
      },
    });
    await waitFor(() => calls.length === 1 && svc!.state.snapshot !== undefined);
    expect((await get("/metrics")).body).toContain('berth_drift_fields{cluster="east",release="shop-api"} 3');
    expect(logs).toContain("drift check exploded");
    leader.set(false);
    const next = svc!.nextPass();
    svc!.trigger();
    await next;
    expect(calls).toEqual([SHA1]);
    expect(svc!.state.loopError).toBeUndefined();
  });

  it("a follower counts the fetch errors of its status reads", async () => {
    const leader = fakeLeader(false);
    await start(leader.hook);
    rec.next = { ...rec.next, revision: undefined, sourceError: "git fetch: connection refused", clusters: [] };
    const next = svc!.nextPass();
    svc!.trigger();
    await next;
    expect((await get("/metrics")).body).toMatch(/^berth_git_fetch_errors_total [1-9]/m);
    expect((await get("/readyz")).body).toMatchObject({ ready: false, reasons: [expect.stringMatching(/source is unreachable: git fetch: connection refused/)] });
  });

  it("close() stops the loop and the server", async () => {
    await start();
    const url = svc!.url;
    await svc!.close();
    svc = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
