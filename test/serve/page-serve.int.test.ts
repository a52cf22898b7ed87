// The page of a real `berth serve` with a real --auth-file, in headless
// Chromium, on the local clusters: berth installs an application (api after
// cache) from a real git remote with the real helm on east and west; an
// operator signs in, opens the api on east and sees its pod and events, reads
// and follows the log kwok serves, and restarts it — the Deployment's pod
// template is stamped and history says who did it. A viewer is offered no
// action. Screenshots go to test-artifacts/.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import { watchAuthFile } from "../../src/server/auth-file.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { KWOK_LOG_LINES } from "../cluster/kwok-logs.ts";
import { ARTIFACTS, launchChromium } from "../support/browser.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { clusterFiles, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";
import { until } from "../support/until.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];
const NS = "pg-shop";
const OPERATOR = "pg-serve-operator-4d2a";
const VIEWER = "pg-serve-viewer-8e61";
const sha = (t: string) => createHash("sha256").update(t).digest("hex");

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: pg }
spec:
  namespace: ${NS}
  components:
    - { name: cache, component: pg-cache, version: "^1.0.0" }
    - { name: api, component: pg-api, version: "^1.0.0", dependsOn: [cache] }
`;

let repo: GitFixture;
let source: GitSource;
let serve: ServeHandle;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const errors: string[] = [];


beforeAll(async () => {
  repo = await createBareRepo();
  await commitFiles(repo, { ...clusterFiles([east, west]), "components/cache-1.0.0.yaml": webComponent("pg-cache", "1.0.0"), "components/api-1.0.0.yaml": webComponent("pg-api", "1.0.0"), "apps/pg.yaml": app }, { message: "pg 1.0.0" });
  const cache = await tempCacheDir();
  const authFile = join(cache, "auth.yaml");
  await writeFile(authFile, `tokens:\n  - { name: pg-oncall, sha256: ${sha(OPERATOR)}, role: operator, applications: [pg] }\n  - { name: pg-viewer, sha256: ${sha(VIEWER)}, role: viewer }\n`);
  source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
  const log = createLogger({ level: process.env.BERTH_TEST_LOG ? "debug" : "silent" });
  serve = await startServe({
    source,
    cacheDir: cache,
    helmBinary: binaries.helm,
    log,
    port: 0,
    host: "127.0.0.1",
    tokens: watchAuthFile(authFile, { log }),
    intervalMs: 600_000,
    helmTimeoutMs: 60_000,
  });
  const auth = { headers: { authorization: `Bearer ${VIEWER}` } };
  await until(
    "pg installed and healthy on both clusters",
    async () => {
      const s = (await (await fetch(`${serve.url}/api/v1/status`, auth)).json()) as { clusters: Array<{ releases: Array<{ namespace: string; state: string }> }> };
      return s.clusters.every((c) => c.releases.filter((r) => r.namespace === NS).length === 2 && c.releases.every((r) => r.namespace !== NS || r.state === "succeeded")) ? true : undefined;
    },
    240_000,
  );
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await serve?.close();
  await source?.close();
  for (const c of [east, west]) await kubeFor(c).core.deleteNamespace({ name: NS }).catch(() => undefined);
  if (repo) await removeRepo(repo);
});

async function signedIn(token: string): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => (m.type() === "error" && !/status of 401/.test(m.text()) ? errors.push(m.text()) : undefined));
  await page.goto(serve.url);
  await page.locator("#login").waitFor();
  await page.fill("#token", token);
  await page.click('#login-form button[type="submit"]');
  await page.locator(`td[data-cluster="${east.name}"][data-release="pg-api"]`).waitFor();
  return page;
}

describe("the page of berth serve on the local clusters", () => {
  it("an operator sees the api's pod and events, follows its log and restarts it", async () => {
    const page = await signedIn(OPERATOR);
    expect(await page.locator(`td[data-cluster="${west.name}"][data-release="pg-cache"] .badge`).innerText()).toBe("succeeded");
    await page.screenshot({ path: join(ARTIFACTS, "serve-page-table.png") });
    await page.locator(`td[data-cluster="${east.name}"][data-release="pg-api"]`).click();
    const detail = page.locator("#detail");
    const pod = detail.locator('[data-testid="pods"] tr.pod').first();
    await pod.waitFor();
    const podName = (await pod.getAttribute("data-pod"))!;
    expect(podName).toMatch(/^pg-api-[a-z0-9]+-[a-z0-9]+$/);
    expect(await pod.innerText()).toMatch(/Running\s+1\/1\s+0\s+\S+/);
    expect(await detail.locator('[data-testid="objects"] tbody').innerText()).toMatch(/Deployment\/pg-api\s+ready/);
    const events = detail.locator('[data-testid="events"] tbody tr');
    await events.first().waitFor();
    expect((await events.allInnerTexts()).join("\n")).toMatch(/ScalingReplicaSet|SuccessfulCreate/);
    const graph = detail.locator(`[data-testid="graph"] svg[data-cluster="${east.name}"]`);
    await graph.waitFor();
    expect(await graph.locator("g.node").evaluateAll((gs) => gs.map((g) => `${g.getAttribute("data-node")}@${g.getAttribute("transform")}`))).toEqual(["pg-cache@translate(14,24)", "pg-api@translate(246,24)"]);
    await page.screenshot({ path: join(ARTIFACTS, "serve-page-release.png") });

    // the log kwok serves: its tail, then followed (the lines come through the stream)
    await pod.click();
    const log = detail.locator('[data-testid="log"]');
    await expect.poll(() => log.innerText(), { timeout: 30_000 }).toContain(KWOK_LOG_LINES.at(-1));
    await detail.locator('[data-testid="follow"]').click();
    await expect.poll(() => detail.locator('[data-testid="log-status"]').innerText()).toMatch(/^following /);
    await expect.poll(async () => (await log.innerText()).trimEnd(), { timeout: 30_000 }).toBe(KWOK_LOG_LINES.join("\n"));
    await detail.locator('[data-testid="logs"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, "serve-page-log-follow.png") });
    // still following: the stream stays open after the lines
    expect(await detail.locator('[data-testid="follow"]').getAttribute("aria-pressed")).toBe("true");
    await detail.locator('[data-testid="follow"]').click();
    expect(await detail.locator('[data-testid="log-status"]').innerText()).toBe("stopped following");

    // restart, confirmed once more: the pod template is stamped, history says who
    await detail.locator('[data-action="restart"]').click();
    await detail.locator('[data-testid="confirm-restart"]').click();
    await expect.poll(() => detail.locator('[data-testid="action-result"]').innerText().catch(() => ""), { timeout: 60_000 }).toBe(`restarted Deployment/pg-api of pg-api on ${east.name}`);
    const d = await kubeFor(east).apps.readNamespacedDeployment({ name: "pg-api", namespace: NS });
    expect(d.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await expect.poll(() => detail.locator('[data-testid="history"] tbody tr').first().innerText(), { timeout: 30_000 }).toMatch(/restart\s[\s\S]*succeeded[\s\S]*pg-oncall \(operator\)/);
    // the new ReplicaSet's pod comes (kwok rolls it); refresh reads it
    await until("a new pod", async () => {
      await detail.getByRole("button", { name: "refresh" }).click();
      const names = await detail.locator('[data-testid="pods"] tr.pod').evaluateAll((rows) => rows.map((r) => r.getAttribute("data-pod")));
      return names.some((n) => n !== podName && n?.split("-")[2] !== podName.split("-")[2]) ? true : undefined;
    }, 60_000);
    await detail.evaluate((el) => (el.scrollTop = 0));
    await page.screenshot({ path: join(ARTIFACTS, "serve-page-restart.png") });
    await page.close();
    expect(errors.splice(0)).toEqual([]);
  });

  it("a viewer sees the same release and is offered no action", async () => {
    const page = await signedIn(VIEWER);
    await page.locator(`td[data-cluster="${west.name}"][data-release="pg-api"]`).click();
    const detail = page.locator("#detail");
    await detail.locator('[data-testid="pods"] tr.pod').first().waitFor();
    expect(await detail.locator('[data-testid="read-only"]').innerText()).toBe("read only: pg-viewer is a viewer");
    expect(await detail.locator("[data-action]").count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, "serve-page-viewer.png") });
    await page.close();
    expect(errors.splice(0)).toEqual([]);
  });
});
