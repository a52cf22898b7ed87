// The service with a fake Reconciler: probes, API, page, webhook, leader hook,
// and that the webhook secret never shows in logs or answers.
import { createHmac } from "node:crypto";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { fakeReconciler, fakeSource, record, SHA1, SHA2, status, type FakeReconciler } from "../../test/unit/helpers/serve-fixtures.ts";
import { Ajv } from "ajv";
import formatsModule from "ajv-formats";
import { createLogger } from "../log.ts";
import { OPENAPI } from "./openapi.ts";
import { HttpError } from "./router.ts";
import { createMetrics } from "./metrics.ts";
import { startService, type LeaderHook, type Service, type ServiceOptions } from "./service.ts";

const SECRET = "hook-secret-d0-not-leak";

// The documented answer of `GET path`, as a validator over the OpenAPI document's own schemas.
const addFormats = formatsModule.default ?? (formatsModule as unknown as typeof formatsModule.default);
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema({ ...OPENAPI, $id: "openapi.json" });
const documented = (path: string) => {
  const op = (OPENAPI.paths as Record<string, { get?: { responses: Record<string, { content?: Record<string, { schema: object }> }> } }>)[path]!.get!;
  const schema = JSON.parse(JSON.stringify(op.responses["200"]!.content!["application/json"]!.schema).replaceAll('"#/components', '"openapi.json#/components')) as object;
  return ajv.compile(schema);
};

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
    expect(page.body).toContain("api/v1/status");
  });

  it("serves step logs in history only to a request with a token", async () => {
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

    await start(undefined, { history, authenticated: (req) => req.headers.authorization === "Bearer t0ken" });
    expect(JSON.stringify(await fetchHistory())).not.toContain("hunter2");
    expect((await fetchHistory("t0ken")).records[0]!.steps[0]!.logs).toBe("password=hunter2");
    expect(asked.slice(2)).toEqual([false, true]);
  });

  it.each(["/api/v1/status", "/api/v1/clusters", "/api/v1/applications", "/api/v1/releases", "/api/v1/plan", "/api/v1/runs/latest", "/api/v1/clusters/{cluster}/releases/{release}/history", "/readyz", "/healthz"])(
    "GET %s answers what the OpenAPI document says",
    async (path) => {
      await start();
      await waitFor(() => svc!.state.snapshot !== undefined && svc!.state.lastRun !== undefined);
      const res = await get(path.replace("{cluster}", "east").replace("{release}", "shop-api"));
      expect(res.status).toBe(200);
      const validate = documented(path);
      expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
    },
  );

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
    const body = JSON.stringify({ ref: "refs/heads/main" });
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
    const body = "{}";
    await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": SECRET }, body });
    await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": `${SECRET}-wrong` }, body });
    await fetch(`${svc!.url}/hooks/git`, { method: "POST", headers: { "x-hub-signature-256": "sha256=00" }, body });
    const outputs = await Promise.all(["/api/v1/status", "/api/v1/releases", "/api/v1/plan", "/api/v1/runs/latest", "/api/v1/clusters/east/releases/shop-api/history", "/metrics", "/readyz", "/"].map(async (p) => JSON.stringify((await get(p)).body)));
    expect(logs).toContain("webhook accepted");
    expect(logs).toContain("webhook rejected");
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
