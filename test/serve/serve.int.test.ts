// `berth serve` end to end: a real git remote, the real helm, two local
// clusters. A signed push webhook applies a new commit within a second plus
// the helm work; a bad signature changes nothing; the page shows both clusters.
import { createHash, createHmac } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import { watchAuthFile } from "../../src/server/auth-file.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { ARTIFACTS, launchChromium } from "../support/browser.ts";
import { commitFiles, createBareRepo, type GitFixture } from "../support/git.ts";
import { clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";
import { until as waitUntil } from "../support/until.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];
const NS = "sv-shop";
const ours = <T extends { namespace: string }>(releases: T[]): T[] => releases.filter((r) => r.namespace === NS);
const HOOK_SECRET = "sv-webhook-secret-6f1e";
const VIEWER_TOKEN = "sv-viewer-token-1c9d";
const DB_PASSWORD = "sv-db-password-93ac"; // a Secret's data on the clusters, referenced by valueFrom

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: shop }
spec:
  namespace: ${NS}
  components:
    - name: web
      component: web
      version: "^1.0.0"
      traits:
        envs:
          - { name: DB_PASSWORD, valueFrom: { secret: { name: db, key: password } } }
`;

let repo: GitFixture;
let source: GitSource;
let serve: ServeHandle;
let logs = "";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are checked by the assertions
const get = async (path: string): Promise<any> => {
  const res = await fetch(`${serve.url}${path}`);
  return (res.headers.get("content-type") ?? "").includes("json") ? res.json() : res.text();
};
const sign = (body: string, key = HOOK_SECRET) => `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
const push = (body: string, signature: string) =>
  fetch(`${serve.url}/hooks/git`, { method: "POST", headers: { "content-type": "application/json", "x-github-event": "push", "x-hub-signature-256": signature }, body });

const until = <T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 120_000) => waitUntil(what, f, timeoutMs, 100);

beforeAll(async () => {
  for (const c of [east, west]) {
    const { core } = kubeFor(c);
    await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "db" }, stringData: { password: DB_PASSWORD } } }).catch(() => undefined);
  }
  repo = await createBareRepo();
  await commitFiles(repo, { ...clusterFiles([east, west]), "components/web-1.0.0.yaml": webComponent("web", "1.0.0"), "apps/shop.yaml": app }, { message: "web 1.0.0" });
  const cache = await tempCacheDir();
  source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
  const sink = new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) });
  serve = await startServe({
    source,
    cacheDir: cache,
    helmBinary: binaries.helm,
    log: createLogger({ level: "info", destination: sink }),
    port: 0,
    host: "127.0.0.1",
    intervalMs: 600_000, // only the webhook (and the first pass) reconcile in this test
    helmTimeoutMs: 60_000,
    webhookSecret: HOOK_SECRET,
  });
  await until("readyz", async () => ((await fetch(`${serve.url}/readyz`)).status === 200 ? true : undefined), 240_000);
});

afterAll(async () => {
  await serve?.close();
  await source?.close();
});

describe("berth serve", () => {
  it("installs on both clusters and reports it on /api/v1 and /metrics", async () => {
    const status = await get("/api/v1/status");
    expect(status.clusters.map((c: { name: string }) => c.name).sort()).toEqual([east.name, west.name].sort());
    // the clusters are shared with other test files: look at this test's namespace only
    for (const c of status.clusters) expect(ours(c.releases)).toEqual([expect.objectContaining({ name: "shop-web", deployedVersion: "1.0.0", health: "healthy" })]);
    const metrics = await get("/metrics");
    expect(metrics).toContain(`berth_last_applied_revision_info{revision="${status.lastAppliedRevision}"} 1`);
    expect(metrics).toMatch(new RegExp(`berth_actions_total\\{cluster="${east.name}",action="install",result="succeeded"\\} 1`));
    expect(metrics).toMatch(/berth_helm_calls_total\{cluster="east",verb="[a-z]+",result="ok"\} \d+/);
    expect(metrics).toMatch(/berth_reconcile_duration_seconds_count\{cluster="west"\} 1/);
  });

  it("a push webhook with a valid GitHub signature applies the new commit at once", async () => {
    const sha = await commitFiles(repo, { "components/web-1.1.0.yaml": webComponent("web", "1.1.0") }, { message: "web 1.1.0" });
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { default_branch: "main" } });
    const started = Date.now();
    const res = await push(body, sign(body));
    expect(res.status).toBe(202);
    await until("the new revision applied", async () => ((await get("/api/v1/status")).lastAppliedRevision === sha ? true : undefined), 60_000);
    const tookMs = Date.now() - started;
    const run = await get("/api/v1/runs/latest");
    expect(run.revision).toBe(sha);
    // Within a second plus the helm work the run itself measured (and a status read).
    expect(tookMs).toBeLessThan(1000 + run.durationMs + 5000);
    process.stderr.write(`serve: push webhook -> applied on both clusters in ${tookMs} ms (the run itself ${run.durationMs} ms)\n`);
    for (const c of [east, west]) expect(await deploymentImage(c, NS, "shop-web")).toBe("registry.example.com/test/web:1.1.0");
    const status = await get("/api/v1/status");
    for (const c of status.clusters) expect(ours(c.releases)[0]).toMatchObject({ deployedVersion: "1.1.0", lastAction: { action: "upgrade", result: "succeeded", commit: sha } });
    const metrics = await get("/metrics");
    expect(metrics).toContain(`berth_last_applied_revision_info{revision="${sha}"} 1`);
    expect(metrics).toContain(`berth_last_attempted_revision_info{revision="${sha}"} 1`);
    expect(metrics).toMatch(new RegExp(`berth_actions_total\\{cluster="${west.name}",action="upgrade",result="succeeded"\\} 1`));
    const history = await get(`/api/v1/clusters/${east.name}/releases/shop-web/history`);
    expect(history.records.map((r: { action: string; toVersion: string }) => `${r.action} ${r.toVersion}`)).toEqual(["install 1.0.0", "upgrade 1.1.0"]);
  });

  it("a bad signature gets 401 and changes nothing", async () => {
    const before = await get("/api/v1/status");
    const runBefore = await get("/api/v1/runs/latest");
    const sha = await commitFiles(repo, { "components/web-1.2.0.yaml": webComponent("web", "1.2.0") }, { message: "web 1.2.0" });
    const body = JSON.stringify({ ref: "refs/heads/main", after: sha, repository: { default_branch: "main" } });
    for (const signature of [sign(body, "not-the-secret"), "sha256=", sign("{}")]) expect((await push(body, signature)).status).toBe(401);
    expect((await fetch(`${serve.url}/hooks/git`, { method: "POST", body })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await get("/api/v1/runs/latest")).endedAt).toBe(runBefore.endedAt);
    expect((await get("/api/v1/status")).lastAppliedRevision).toBe(before.lastAppliedRevision);
    for (const c of [east, west]) expect(await deploymentImage(c, NS, "shop-web")).toBe("registry.example.com/test/web:1.1.0");
  });

  it("the status page shows both clusters and a release's history", async () => {
    const html = await get("/");
    expect(html).toContain("<title>berth</title>");
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(serve.url);
      for (const c of [east, west]) await page.locator(`th[data-cluster="${c.name}"]`).waitFor();
      await page.locator(`td[data-cluster="${west.name}"][data-release="shop-web"]`).click();
      const rows = page.locator('[data-testid="history"] tr');
      await rows.nth(2).waitFor();
      const text = await page.locator("#detail").innerText();
      expect(text).toContain(`shop-web on ${west.name}`);
      expect(text).toMatch(/upgrade[\s\S]*1\.0\.0 → 1\.1\.0/);
      expect(text).toMatch(/install[\s\S]*- → 1\.0\.0/);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "serve-status-page.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });

  it("never shows the webhook secret or a Secret's data in logs, status or the API", async () => {
    expect(logs).toContain('"action":"upgrade"'); // the per-action log lines are there
    const outputs = await Promise.all(["/api/v1/status", "/api/v1/releases", "/api/v1/plan", "/api/v1/runs/latest", `/api/v1/clusters/${east.name}/releases/shop-web/history`, "/metrics", "/readyz"].map(async (p) => JSON.stringify(await get(p))));
    for (const out of [logs, ...outputs]) {
      expect(out).not.toContain(HOOK_SECRET);
      expect(out).not.toContain(DB_PASSWORD);
      expect(out).not.toContain(Buffer.from(DB_PASSWORD).toString("base64"));
    }
  });

  it("with --auth-file: the API needs a token (the page's shell asks for it), the probe port serves only probes, metrics and the webhook", async () => {
    const cache = await tempCacheDir();
    const authFile = join(cache, "auth.yaml");
    await writeFile(authFile, `tokens:\n  - { name: sv-viewer, sha256: ${createHash("sha256").update(VIEWER_TOKEN).digest("hex")}, role: viewer }\n`);
    const src = await openSource(repo.url, { cacheDir: join(cache, "sources") });
    const reader = await startServe({
      source: src,
      cacheDir: cache,
      helmBinary: binaries.helm,
      log: createLogger({ level: "silent" }),
      port: 0,
      host: "127.0.0.1",
      tokens: watchAuthFile(authFile, { log: createLogger({ level: "silent" }) }),
      probe: { port: 0, host: "127.0.0.1" },
      intervalMs: 600_000,
      webhookSecret: HOOK_SECRET,
      // reads only: the main service of this file is the one that acts
      leader: { isLeader: () => false, onChange: () => undefined },
    });
    try {
      const probe = reader.probeUrl!;
      await until("ready on the probe port", async () => ((await fetch(`${probe}/readyz`)).status === 200 ? true : undefined));
      const as = (token?: string) => (token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const history = `/api/v1/clusters/${east.name}/releases/shop-web/history?namespace=${NS}`;
      for (const path of ["/api/v1/status", history]) {
        expect((await fetch(`${reader.url}${path}`)).status, path).toBe(401);
        expect((await fetch(`${reader.url}${path}`, as("not-a-token"))).status, path).toBe(401);
        expect((await fetch(`${reader.url}${path}`, as(VIEWER_TOKEN))).status, path).toBe(200);
        expect((await fetch(`${probe}${path}`, as(VIEWER_TOKEN))).status, path).toBe(404);
      }
      // the page's shell holds no data and asks for the token itself; the probe port does not serve it
      const shell = await fetch(`${reader.url}/`);
      expect(shell.status).toBe(200);
      expect(await shell.text()).not.toMatch(/sv-shop|shop-web/);
      expect((await fetch(`${probe}/`)).status).toBe(404);
      const h = (await (await fetch(`${reader.url}${history}`, as(VIEWER_TOKEN))).json()) as { records: Array<{ action: string }> };
      expect(h.records.map((r) => r.action)).toEqual(expect.arrayContaining(["install", "upgrade"]));
      expect(await (await fetch(`${probe}/metrics`)).text()).toContain("berth_leader 0");
      const ping = JSON.stringify({ zen: "hi" });
      expect((await fetch(`${probe}/hooks/git`, { method: "POST", headers: { "x-hub-signature-256": sign(ping), "x-github-event": "ping" }, body: ping })).status).toBe(200);
    } finally {
      await reader.close();
      await src.close();
    }
  });

  it("a follower (leader hook says no) serves reads, reports leader false and acts only once it leads", async () => {
    let leading = false;
    const subs: Array<(l: boolean) => void> = [];
    const cache = await tempCacheDir();
    const src = await openSource(repo.url, { cacheDir: join(cache, "sources") });
    const follower = await startServe({
      source: src,
      cacheDir: cache,
      helmBinary: binaries.helm,
      log: createLogger({ level: "silent" }),
      port: 0,
      host: "127.0.0.1",
      intervalMs: 600_000,
      webhookSecret: HOOK_SECRET,
      leader: { isLeader: () => leading, onChange: (cb) => void subs.push(cb) },
    });
    try {
      await until("follower ready", async () => ((await fetch(`${follower.url}/readyz`)).status === 200 ? true : undefined));
      expect(await (await fetch(`${follower.url}/readyz`)).json()).toMatchObject({ ready: true, leader: false });
      const status = (await (await fetch(`${follower.url}/api/v1/status`)).json()) as { leader: boolean; revision: string; clusters: Array<{ name: string; releases: Array<{ namespace: string; deployedVersion: string }> }> };
      expect(status.leader).toBe(false);
      expect(status.clusters.map((c) => ours(c.releases)[0]!.deployedVersion)).toEqual(["1.1.0", "1.1.0"]);
      // The newest commit (web 1.2.0, pushed by the previous test) is seen but not applied.
      const body = JSON.stringify({ ref: "refs/heads/main", repository: { default_branch: "main" } });
      const next = follower.nextPass();
      expect((await fetch(`${follower.url}/hooks/git`, { method: "POST", headers: { "x-hub-signature-256": sign(body), "x-github-event": "push" }, body })).status).toBe(202);
      await next;
      expect((await fetch(`${follower.url}/api/v1/runs/latest`)).status).toBe(404);
      expect(await (await fetch(`${follower.url}/metrics`)).text()).toContain("berth_leader 0");
      for (const c of [east, west]) expect(await deploymentImage(c, NS, "shop-web")).toBe("registry.example.com/test/web:1.1.0");
      // Leadership moves to it: it reconciles at once.
      leading = true;
      for (const cb of subs) cb(true);
      // clusters are reconciled in parallel: wait for both
      const onBoth = async () => (await Promise.all([east, west].map((c) => deploymentImage(c, NS, "shop-web")))).every((i) => i === "registry.example.com/test/web:1.2.0");
      await until("the follower, now leader, applies web 1.2.0 on both clusters", async () => ((await onBoth()) ? true : undefined), 60_000);
      expect(await (await fetch(`${follower.url}/metrics`)).text()).toContain("berth_leader 1");
    } finally {
      await follower.close();
      await src.close();
    }
  });
});
