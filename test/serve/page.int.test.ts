// The page in headless Chromium, fed by a fixed snapshot and stand-ins of the
// per-release routes (fast, and it covers what a healthy run never shows: a
// failed release, a last error, a Warning event). With a real auth file: the
// login form, an operator following a log and restarting, a viewer who is
// offered no action; the live stream redrawing one cell; 1,000 releases.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fakeReconciler, fakeSource, record, runReport, SHA2, status, type FakeReconciler } from "../unit/helpers/serve-fixtures.ts";
import { createLogger } from "../../src/log.ts";
import type { DesiredRevision } from "../../src/reconcile/revision.ts";
import type { StatusSnapshot } from "../../src/reconcile/status.ts";
import { watchAuthFile } from "../../src/server/auth-file.ts";
import { createMetrics } from "../../src/server/metrics.ts";
import { HttpError } from "../../src/server/router.ts";
import { startService, type Service } from "../../src/server/service.ts";
import { ARTIFACTS, launchChromium } from "../support/browser.ts";
import { fakeCalls, fakeReleaseRoutes, type FakeCalls } from "./page-fakes.ts";

const OPERATOR = "pg-operator-token-5e21";
const VIEWER = "pg-viewer-token-77ab";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");

/** The fixture's plan with dependencies (shop-api needs shop-redis), another application on east, and east as shop's canary cluster. */
function plannedReport(): FakeReconciler["next"] {
  const r = runReport();
  for (const c of r.clusters) {
    const api = c.plan!.releases.find((x) => x.name === "shop-api")!;
    if (c.releases.some((x) => x.name === "shop-redis")) {
      api.needs = ["shop-redis"];
      c.plan!.releases.push({ ...api, name: "shop-web", needs: ["shop-api"] });
      c.plan!.releases.push({ ...api, name: "blog-web", namespace: "blog", application: "blog", needs: [] });
    }
  }
  const clusters = r.clusters.map((c) => ({ metadata: { name: c.cluster, labels: {} } }));
  r.desired = { repo: { clusters, applications: [{ metadata: { name: "shop" }, spec: { placement: { rollout: { canary: ["east"] } } } }] } } as unknown as DesiredRevision;
  return r;
}

interface Started {
  svc: Service;
  rec: FakeReconciler;
  calls: FakeCalls;
}

async function startPage(o: { authFile?: string; statusOf?: () => StatusSnapshot } = {}): Promise<Started> {
  const rec = fakeReconciler();
  rec.next = plannedReport();
  if (o.statusOf) rec.snapshotStatus = o.statusOf();
  const calls = fakeCalls();
  const log = createLogger({ level: "silent" });
  const svc = await startService({
    reconciler: rec,
    source: fakeSource(),
    metrics: createMetrics(),
    log,
    ...(o.authFile ? { tokens: watchAuthFile(o.authFile, { log }) } : {}),
    routes: fakeReleaseRoutes(calls),
    history: async (cluster, release) => {
      if (!/^(shop|blog)-/.test(release)) throw new HttpError(404, `no release ${release} on ${cluster}`);
      return {
        cluster,
        release,
        namespace: "shop",
        suspended: cluster === "west",
        records: [
          record({ cluster, release }),
          record({ cluster, release, action: "upgrade", fromVersion: "3.0.5", toVersion: "3.0.6", commit: SHA2, result: "failed", helmRevision: 2, error: "upgrade failed: timed out waiting for the condition", steps: [{ kind: "run", to: "3.0.6", job: "shop-api-step-3.0.6", succeeded: true, logs: "", message: "" }] }),
          ...calls.records.filter((r) => r.cluster === cluster && r.release === release),
        ],
      };
    },
    port: 0,
    host: "127.0.0.1",
    intervalMs: 600_000,
    webhookSecret: () => undefined,
  });
  while (!svc.state.snapshot) await new Promise((r) => setTimeout(r, 20));
  return { svc, rec, calls };
}

let browser: Awaited<ReturnType<typeof launchChromium>>;
let running: Started | undefined;
const errors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
});
afterAll(() => browser?.close());
afterEach(async () => {
  // pages first: a stream the server cuts off shows as a console error
  for (const p of browser.pages()) await p.close();
  await running?.svc.close();
  running = undefined;
  // A Content-Security-Policy violation shows as a console error.
  expect(errors.splice(0)).toEqual([]);
});

async function open(url: string, before?: (page: Page) => void): Promise<Page> {
  const page = await browser.newPage();
  before?.(page);
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => (m.type() === "error" && !/status of 40[13]/.test(m.text()) ? errors.push(m.text()) : undefined));
  await page.goto(url);
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
/** An expression evaluated in the page (this project's types have no DOM). */
const js = <T = unknown>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
/** Each draw of the table the page timed: how long, how many cells, how many changed, whether all was rebuilt. */
const renderLog = (page: Page) => js<Array<{ ms: number; cells: number; changed: number; full: boolean }>>(page, "window.berth.renders");
const cell = (page: Page, cluster: string, release: string) => page.locator(`td[data-cluster="${cluster}"][data-release="${release}"]`);

async function authFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-page-"));
  const file = join(dir, "auth.yaml");
  await writeFile(
    file,
    `tokens:\n  - { name: shop-oncall, sha256: ${sha(OPERATOR)}, role: operator, applications: [shop] }\n  - { name: ci-bot, sha256: ${sha(VIEWER)}, role: viewer }\n`,
  );
  return file;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.locator("#login").waitFor();
  await page.fill("#token", token);
  await page.click('#login-form button[type="submit"]');
}

describe("the page, without --auth-file", () => {
  it("shows clusters x releases with the deploy state as the badge, and a read-only release view with its last error", async () => {
    running = await startPage();
    const page = await open(running.svc.url);
    await page.locator('th[data-cluster="west"]').waitFor();
    expect(await page.locator("#grid thead th").allInnerTexts()).toEqual(["application / release", "east", "west"]);
    expect(await page.locator("#who").innerText()).toBe("no --auth-file: read only");
    const west = cell(page, "west", "shop-api");
    expect(await west.locator(".badge").innerText()).toBe("failed");
    expect(await west.locator(".badge").getAttribute("class")).toContain("st-failed");
    expect(await west.innerText()).toMatch(/3\.0\.5[\s\S]*unhealthy[\s\S]*install succeeded[\s\S]*blocked: needs shop-redis/);
    expect(await cell(page, "east", "shop-redis").locator(".badge").innerText()).toBe("succeeded");
    expect(await page.locator("#counts").innerText()).toBe("1 failed · 2 succeeded");

    await west.click();
    await page.locator('[data-testid="history"] tbody tr').nth(2).waitFor();
    const detail = page.locator("#detail");
    expect(await detail.locator("h2").innerText()).toBe("shop-api on west");
    expect(await detail.locator('[data-testid="last-error"]').innerText()).toBe("last error: upgrade failed: timed out waiting for the condition");
    expect(await detail.locator('[data-testid="history"]').innerText()).toMatch(/upgrade[\s\S]*3\.0\.5 → 3\.0\.6[\s\S]*failed[\s\S]*step run 3\.0\.6: ok \(job shop-api-step-3\.0\.6\)/);
    expect(await detail.locator('[data-testid="read-only"]').innerText()).toBe("read only: berth serve runs without --auth-file: nobody acts through it");
    expect(await detail.locator("[data-action]").count()).toBe(0);
    await detail.locator('[data-testid="pods"] tr.pod').waitFor();
    await shot(page, "page-release-read-only.png");
  });

  it("draws an application's dependency levels and waves; a box opens its release", async () => {
    running = await startPage();
    const page = await open(running.svc.url);
    await page.locator('button[data-graph="shop"]').click();
    const detail = page.locator("#detail");
    await detail.locator('svg[data-cluster="west"]').waitFor();
    expect(await detail.locator("h2").innerText()).toBe("Application shop");
    expect(await detail.locator('[data-testid="graph"] p.small').innerText()).toMatch(/^Wave 1 is the canary cluster east; the other clusters wait/);
    expect(await detail.locator('[data-testid="graph"] h4').allInnerTexts()).toEqual(["wave 1 (canary) · east", "wave 2 · west"]);
    // east: shop-redis, then shop-api, then shop-web, left to right, joined by two arrows
    const east = detail.locator('svg[data-cluster="east"]');
    const x = async (name: string) => Number((/translate\((\d+)/.exec((await east.locator(`g[data-node="${name}"]`).getAttribute("transform")) ?? "") ?? [])[1]);
    expect([await x("shop-redis"), await x("shop-api"), await x("shop-web")]).toEqual([14, 246, 478]);
    expect(await east.locator(":scope > text.lvl").allTextContents()).toEqual(["level 1", "level 2", "level 3"]);
    expect(await east.locator(":scope > path").count()).toBe(2);
    expect(await east.locator('g[data-node="shop-redis"] rect').getAttribute("class")).toBe("st-succeeded");
    expect(await east.locator('g[data-node="shop-web"] rect').getAttribute("class")).toBe("st-none");
    expect(await detail.locator('svg[data-cluster="west"] g[data-node="shop-api"] rect').getAttribute("class")).toBe("st-failed");
    await shot(page, "page-graph.png");
    await east.locator('g[data-node="shop-api"]').click();
    await detail.locator("h2", { hasText: "shop-api on east" }).waitFor();
    expect(await detail.locator('[data-testid="graph"] svg[data-cluster="east"] g.here').getAttribute("data-node")).toBe("shop-api");
  });
});

describe("the page, with --auth-file", () => {
  it("asks for a token, then an operator sees a release's pods and events, follows a log and restarts it", async () => {
    running = await startPage({ authFile: await authFile() });
    const { calls } = running;
    const page = await open(running.svc.url);
    await page.locator("#login").waitFor();
    expect(await page.locator("#login-msg").innerText()).toBe("This berth needs a token.");
    expect(await page.locator("#main").isHidden()).toBe(true);
    await shot(page, "page-login.png");
    await signIn(page, "not-a-token");
    await page.locator("#login-msg", { hasText: "not known" }).waitFor();
    await signIn(page, OPERATOR);
    await cell(page, "east", "shop-api").waitFor();
    expect(await page.locator("#who").innerText()).toBe("shop-oncall (operator: shop)");
    // the token stays in the tab, not in a cookie
    expect(await js(page, '[sessionStorage.getItem("berth.token"), document.cookie]')).toEqual([OPERATOR, ""]);
    await shot(page, "page-table.png");

    await cell(page, "east", "shop-api").click();
    const detail = page.locator("#detail");
    const pods = detail.locator('[data-testid="pods"]');
    await pods.locator("tr.pod").waitFor();
    expect(await pods.locator("tbody tr").first().innerText()).toMatch(/shop-api-7d9f8c6b5-abcde\s+Running\s+1\/1\s+2\s+kwok-node-0\s+42m/);
    const events = detail.locator('[data-testid="events"] tbody tr');
    await events.first().waitFor();
    expect(await events.allInnerTexts()).toEqual([
      expect.stringMatching(/^30m \(×2\)\s+Warning\s+BackOff\s+Pod\/shop-api-7d9f8c6b5-abcde\s+Back-off restarting failed container app$/),
      expect.stringMatching(/^41m\s+Normal\s+Pulled\s+Pod\/shop-api-7d9f8c6b5-abcde/),
    ]);
    expect(await detail.locator('[data-testid="objects"] tbody').innerText()).toMatch(/Deployment\/shop-api\s+ready\s+1\/1 available/);
    // the dependency picture: canary east first, shop-api after shop-redis, shop-web after it
    const svg = detail.locator('[data-testid="graph"] svg[data-cluster="east"]');
    await svg.waitFor();
    expect(await detail.locator('[data-testid="graph"] h4').allInnerTexts()).toEqual(["wave 1 (canary) · east", "wave 2 · west"]);
    expect(await svg.locator("g.node.here").getAttribute("data-node")).toBe("shop-api");
    await shot(page, "page-release.png");

    // the log: a click on the pod reads its tail; follow streams new lines
    await pods.locator("tr.pod").first().click();
    const log = detail.locator('[data-testid="log"]');
    await expect.poll(() => log.innerText()).toContain("app started line 5");
    expect(await detail.locator('[data-testid="log-container"] option').allInnerTexts()).toEqual(["migrate (init)", "app"]);
    await detail.locator('[data-testid="follow"]').click();
    await expect.poll(() => log.innerText(), { timeout: 10_000 }).toMatch(/request 3\)/);
    expect(await detail.locator('[data-testid="follow"]').getAttribute("aria-pressed")).toBe("true");
    expect(calls.follows).toMatchObject({ opened: 1, bearer: ["bearer"] });
    await detail.locator('[data-testid="logs"]').scrollIntoViewIfNeeded();
    await shot(page, "page-log-follow.png");
    await detail.locator('[data-testid="follow"]').click();
    await expect.poll(() => calls.follows.closed).toBe(1);
    expect(await detail.locator('[data-testid="log-status"]').innerText()).toBe("stopped following");

    // restart, confirmed once more
    await detail.locator('[data-action="restart"]').click();
    expect(await detail.locator('[data-testid="confirm"]').innerText()).toMatch(/Restart the workloads of shop-api on east \(a rollout restart\)\?/);
    expect(calls.actions).toEqual([]);
    await detail.locator('[data-testid="confirm-restart"]').click();
    await expect.poll(() => detail.locator('[data-testid="action-result"]').innerText().catch(() => "")).toBe("restarted Deployment/shop-api of shop-api on east");
    expect(calls.actions).toEqual([{ kind: "restart", cluster: "east", release: "shop-api", by: "shop-oncall", body: {} }]);
    // the view reads again: the new pod, the new event, the record with who did it
    await pods.locator('tr[data-pod="shop-api-6b7c9d5f4-qwert"]').waitFor();
    await expect.poll(() => detail.locator('[data-testid="events"] tbody tr').first().innerText()).toMatch(/ScalingReplicaSet/);
    await expect.poll(() => detail.locator('[data-testid="history"] tbody tr').first().innerText()).toMatch(/restart\s[\s\S]*shop-oncall \(operator\)/);
    await detail.evaluate((d) => (d.scrollTop = 0));
    await shot(page, "page-restart.png");

    // signing out forgets the token
    await page.click("#signout");
    await page.locator("#login").waitFor();
    expect(await js(page, 'sessionStorage.getItem("berth.token")')).toBeNull();
  });

  it("offers a viewer no action, and an operator none on another application", async () => {
    const withBlog = () => {
      const s = status();
      s.clusters[0]!.releases.push({ ...s.clusters[0]!.releases[0]!, name: "blog-web", namespace: "blog", application: "blog" });
      return s;
    };
    running = await startPage({ authFile: await authFile(), statusOf: withBlog });
    const page = await open(running.svc.url);
    await signIn(page, VIEWER);
    await cell(page, "west", "shop-api").click();
    const detail = page.locator("#detail");
    await detail.locator('[data-testid="pods"] tr.pod').waitFor();
    await detail.locator('[data-testid="history"] tbody tr').first().waitFor();
    expect(await detail.locator('[data-testid="read-only"]').innerText()).toBe("read only: ci-bot is a viewer");
    expect(await detail.locator("[data-action]").count()).toBe(0);
    await shot(page, "page-viewer.png");
    // the server refuses it anyway
    const refused = await js(page, 'fetch("api/v1/clusters/west/releases/shop-api/restart", { method: "POST", headers: { authorization: "Bearer " + sessionStorage.getItem("berth.token"), "content-type": "application/json" }, body: "{}" }).then((r) => r.status)');
    expect(refused).toBe(403);
    expect(running.calls.actions).toEqual([]);
    // shop's operator: actions on shop-api, none on blog's release
    const operator = await open(running.svc.url);
    await signIn(operator, OPERATOR);
    await cell(operator, "east", "blog-web").click();
    const blog = operator.locator("#detail");
    await blog.locator('[data-testid="read-only"]').waitFor();
    expect(await blog.locator('[data-testid="read-only"]').innerText()).toBe("read only: shop-oncall acts on shop, not on blog");
    await operator.keyboard.press("Escape");
    await cell(operator, "east", "shop-api").click();
    await blog.locator('[data-action="restart"]').waitFor();
    expect(await blog.locator("[data-action]").evaluateAll((bs) => bs.map((b) => b.getAttribute("data-action")))).toEqual(["restart", "sync", "rollback"]);
  });
});

describe("live updates", () => {
  it("come as server-sent events and redraw only the cell that changed; nothing polls", async () => {
    running = await startPage();
    const { svc, rec } = running;
    const requests: string[] = [];
    const page = await open(svc.url, (p) => p.on("request", (r) => requests.push(new URL(r.url()).pathname)));
    await cell(page, "west", "shop-api").waitFor();
    await page.locator("#conn.live").waitFor();
    // mark what each cell shows: a redraw loses the mark
    await js(page, 'document.querySelectorAll("td.cell .badge").forEach((b) => (b.dataset.mark = "1"))');
    const next = status();
    next.clusters[1]!.releases[0] = { ...next.clusters[1]!.releases[0]!, deployedVersion: "3.0.6", state: "deploying", stateReason: "helm is at work (pending-upgrade)", health: "unknown" };
    rec.snapshotStatus = next;
    const pass = svc.nextPass();
    svc.trigger();
    await pass;
    await expect.poll(() => cell(page, "west", "shop-api").locator(".badge").innerText()).toBe("deploying");
    expect(await page.locator("td.cell .badge[data-mark]").count()).toBe(2);
    expect(await cell(page, "west", "shop-api").locator(".badge").getAttribute("data-mark")).toBeNull();
    const renders = await renderLog(page);
    expect(renders.at(-1)).toMatchObject({ full: false, changed: 1 });
    // a pass that finds the same changes nothing on the page
    const again = svc.nextPass();
    svc.trigger();
    await again;
    await new Promise((r) => setTimeout(r, 300));
    expect((await renderLog(page)).length).toBe(renders.length);
    // one stream, no status reads
    expect(requests.filter((p) => p.startsWith("/api/"))).toEqual(["/api/v1/whoami", "/api/v1/live"]);
  });
});

describe("1,000 releases", () => {
  it("the table draws in well under a second, and a change redraws one cell", async () => {
    const big = (): StatusSnapshot => {
      const s = status();
      const rows = Array.from({ length: 1000 }, (_, i) => ({ ...s.clusters[0]!.releases[0]!, name: `app${String(Math.floor(i / 10)).padStart(3, "0")}-c${i % 10}`, application: `app${String(Math.floor(i / 10)).padStart(3, "0")}` }));
      return { ...s, clusters: s.clusters.map((c) => ({ ...c, releases: rows.map((r, i) => (c.name === "west" && i % 7 === 0 ? { ...r, state: "failed" as const, health: "unhealthy" as const } : r)) })) };
    };
    running = await startPage({ statusOf: big });
    const page = await open(running.svc.url);
    const started = Date.now();
    await cell(page, "west", "app099-c9").waitFor();
    const shown = Date.now() - started;
    const renders = await renderLog(page);
    expect(renders[0]!.cells).toBe(2000);
    const s = big();
    s.clusters[0]!.releases[500] = { ...s.clusters[0]!.releases[500]!, state: "deploying" };
    running.rec.snapshotStatus = s;
    const pass = running.svc.nextPass();
    running.svc.trigger();
    await pass;
    await expect.poll(() => cell(page, "east", "app050-c0").locator(".badge").innerText()).toBe("deploying");
    const update = (await renderLog(page)).at(-1)!;
    process.stdout.write(`page with 1,000 releases on 2 clusters (2,000 cells): first draw ${renders[0]!.ms.toFixed(0)} ms in the page, ${shown} ms from load to the last row; a change of one release redrawn in ${update.ms.toFixed(1)} ms (${update.changed} cell)\n`);
    expect(renders[0]!.ms).toBeLessThan(1000);
    expect(update).toMatchObject({ changed: 1 });
    expect(update.ms).toBeLessThan(250);
    await shot(page, "page-1000-releases.png");
    // the filter: a name, then only what is not succeeded
    await page.fill("#filter", "app050");
    await expect.poll(() => page.locator("#grid tbody tr:not([hidden])").count()).toBe(11);
    await page.check("#problems");
    await expect.poll(() => page.locator("#grid tbody tr:not([hidden]):not(.app)").allInnerTexts()).toEqual([expect.stringMatching(/^app050-c0\s/), expect.stringMatching(/^app050-c4\s/)]);
  });
});
