// Gitea's own webhook deliveries (real payloads, real signatures) reaching a
// real `berth serve` that follows `main` of a private Gitea repository, read
// with the operator's token: a push to main starts a pass that applies the new
// commit; a push to another branch and an issue event are answered `ignored`
// and start nothing. /metrics counts each delivery by provider and outcome;
// the log names Gitea's event and delivery id, never the secret or the token.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { clusterFiles, deploymentImage, singleApiApp, webComponent } from "../reconcile/fixture.ts";
import { startGitea, type Gitea } from "../support/gitea.ts";
import { until } from "../support/until.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "fg-hook";
const SECRET = "fg-hook-secret-5d2a";

let gitea: Gitea;
let work: string;
let source: GitSource;
let serve: ServeHandle;
let first: string;
let logs = "";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers are checked by the assertions
const get = async (path: string): Promise<any> => {
  const res = await fetch(`${serve.url}${path}`);
  return (res.headers.get("content-type") ?? "").includes("json") ? res.json() : res.text();
};
const deliveries = async (outcome: string): Promise<number> => {
  const m = new RegExp(`berth_webhook_deliveries_total\\{provider="gitea",outcome="${outcome}"\\} (\\d+)`).exec(await get("/metrics"));
  return m ? Number(m[1]) : 0;
};
const logLines = () =>
  logs
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const passesRun = async (): Promise<number> =>
  [...String(await get("/metrics")).matchAll(/^berth_reconcile_runs_total\{result="[a-z_]+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "berth-forge-hook-"));
  gitea = await startGitea();
  await gitea.createRepo("hooks", { private: true });
  first = await gitea.pushFiles("hooks", {
    ...clusterFiles([east]),
    "components/fgw-api-1.0.0.yaml": webComponent("fgw-api", "1.0.0"),
    "apps/fgw.yaml": singleApiApp("fgw", NS),
  });
  const tokenFile = join(work, "token");
  await writeFile(tokenFile, `${gitea.token}\n`, { mode: 0o600 });
  source = await openSource(gitea.cloneUrl("hooks"), { cacheDir: join(work, "cache", "sources"), credentials: { tokenFile, username: "x-access-token" } });
  serve = await startServe({
    source,
    cacheDir: join(work, "cache"),
    helmBinary: binaries.helm,
    log: createLogger({ level: "info", destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) }),
    port: 0,
    host: "127.0.0.1",
    intervalMs: 600_000, // only the first pass and webhooks reconcile here
    helmTimeoutMs: 60_000,
    webhookSecret: SECRET,
  });
  await until("readyz", async () => ((await fetch(`${serve.url}/readyz`)).status === 200 ? true : undefined), 240_000);
  await gitea.addWebhook("hooks", { url: `${serve.url}/hooks/git`, secret: SECRET, events: ["push", "issues"] });
});

afterAll(async () => {
  await serve?.close();
  await source?.close();
  await gitea?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("Gitea webhooks to berth serve", () => {
  it("the first pass applied main of the private repository, fetched with the token", async () => {
    expect((await get("/api/v1/status")).lastAppliedRevision).toBe(first);
    expect(await deploymentImage(east, NS, "fgw-api")).toBe("registry.example.com/test/fgw-api:1.0.0");
  });

  it("a push to another branch and an issue are ignored: counted, logged with Gitea's event and delivery id, no pass", async () => {
    const runs = await passesRun();
    expect(runs).toBeGreaterThan(0); // the first pass is counted: the metric is there to compare
    const lastRun = (await get("/api/v1/runs/latest")).endedAt;
    await gitea.pushFiles("hooks", { "components/fgw-api-9.0.0.yaml": webComponent("fgw-api", "9.0.0") }, { branch: "dev", message: "not for berth" });
    await until("the dev push ignored", async () => (logLines().some((l) => l.msg === "webhook ignored" && l.event === "push") ? true : undefined), 60_000);
    await gitea.api("POST", `/repos/${gitea.user}/hooks/issues`, { title: "a question, not a deploy" });
    await until("the issue ignored", async () => (logLines().some((l) => l.msg === "webhook ignored" && l.event === "issues") ? true : undefined), 60_000);

    const ignored = logLines().filter((l) => l.msg === "webhook ignored");
    expect(ignored).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ provider: "gitea", event: "push", delivery: expect.stringMatching(/\S/), reason: "push to refs/heads/dev; berth follows the default branch, refs/heads/main" }),
        expect.objectContaining({ provider: "gitea", event: "issues", delivery: expect.stringMatching(/\S/), reason: "event issues is not a push; berth acts on push events only" }),
      ]),
    );
    expect(await deliveries("ignored")).toBeGreaterThanOrEqual(2);
    expect(await deliveries("accepted")).toBe(0);
    await new Promise((r) => setTimeout(r, 1000)); // a pass, had one been triggered, would have started by now
    expect(await passesRun()).toBe(runs);
    expect((await get("/api/v1/runs/latest")).endedAt).toBe(lastRun);
    expect(await deploymentImage(east, NS, "fgw-api")).toBe("registry.example.com/test/fgw-api:1.0.0");
  });

  it("a push to main is accepted and its commit applied", async () => {
    const sha = await gitea.pushFiles("hooks", { "components/fgw-api-1.1.0.yaml": webComponent("fgw-api", "1.1.0") }, { message: "fgw-api 1.1.0" });
    await until("the new commit applied", async () => ((await get("/api/v1/status")).lastAppliedRevision === sha ? true : undefined), 120_000);
    expect(await deploymentImage(east, NS, "fgw-api")).toBe("registry.example.com/test/fgw-api:1.1.0");
    expect(await deliveries("accepted")).toBe(1);
    expect(await deliveries("rejected")).toBe(0);
    expect(logLines()).toEqual(
      expect.arrayContaining([expect.objectContaining({ msg: "webhook accepted; fetching the source", provider: "gitea", event: "push", delivery: expect.stringMatching(/\S/), ref: "refs/heads/main" })]),
    );
  });

  it("shows neither the webhook secret nor the token in logs, the API or metrics", async () => {
    const answers = await Promise.all(["/api/v1/status", "/api/v1/runs/latest", "/api/v1/plan", "/metrics", "/readyz"].map(async (p) => JSON.stringify(await get(p))));
    for (const text of [logs, ...answers]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(gitea.token);
    }
  });
});
