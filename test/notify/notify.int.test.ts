// Notifications from a real berth serve on a local cluster (issue 12 item 3):
// a loopback receiver gets signed webhook and Slack messages for a release
// that succeeds, one that fails (its pods never get ready, kwok) and one that
// is blocked; a receiver that fails twice gets each event once more, exactly
// once; a restarted berth serve sends nothing it already sent (it reads what
// it sent from the ConfigMap on the cluster).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import { verifySignature } from "../../src/notify/signature.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { runBerth } from "../support/cli.ts";
import { until } from "../support/until.ts";
import { clusterFiles, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "nt-notify";
const BERTH_NS = "nt-berth"; // this file's own record of what was sent, apart from other tests'
const HOOK_KEY = "nt-hook-key-51c0";
const SLACK_SECRET = "T000NT/B000NT/nt-slack-secret-9f2e";

let rx: Receiver;
let repo: GitFixture;
let creds: string;
let cache: string;
let logs = "";
const opened: GitSource[] = [];

interface Body { id: string; event: string; release?: string; cluster: string; reason?: string; revision?: string; notification: string }
const accepted = (path: string) => rx.received.filter((r) => r.path === path && r.status === 200);
const bodies = (path: string) => accepted(path).map((r) => JSON.parse(r.body) as Body);
const eventOf = (path: string, event: string, release: string) => bodies(path).find((b) => b.event === event && b.release === release);

async function serve(): Promise<ServeHandle> {
  const source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
  opened.push(source);
  const sink = new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) });
  const handle = await startServe({
    source,
    cacheDir: cache,
    helmBinary: binaries.helm,
    log: createLogger({ level: "info", destination: sink }),
    port: 0,
    host: "127.0.0.1",
    intervalMs: 600_000, // the first pass only
    helmTimeoutMs: 10_000,
    notify: { policy: { credentialDirs: [creds], urls: [`${rx.url}/`] }, namespace: BERTH_NS },
  });
  return handle;
}

beforeAll(async () => {
  rx = await startReceiver();
  rx.failNext("/flaky", 503, 503);
  creds = await mkdtemp(join(tmpdir(), "berth-nt-creds-"));
  await writeFile(join(creds, "hook-key"), `${HOOK_KEY}\n`);
  await writeFile(join(creds, "slack-url"), `${rx.url}/slack/${SLACK_SECRET}\n`);
  cache = await tempCacheDir();
  repo = await createBareRepo();
  await commitFiles(repo, {
    ...clusterFiles([east]),
    "components/nt-ok.yaml": webComponent("nt-ok", "1.0.0"),
    "components/nt-bad.yaml": webComponent("nt-bad", "1.0.0", { image: "registry.example.com/test/nt-never-ready" }),
    "components/nt-wait.yaml": webComponent("nt-wait", "1.0.0", { requires: '{ nt-absent: ">=1.0.0" }' }),
    "components/nt-absent.yaml": webComponent("nt-absent", "1.0.0"),
    "apps/nt.yaml": `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: nt }
spec:
  namespace: ${NS}
  components:
    - { name: ok, component: nt-ok, version: "^1.0.0" }
    - { name: bad, component: nt-bad, version: "^1.0.0" }
    - { name: wait, component: nt-wait, version: "^1.0.0" }
`,
    "notify/nt.yaml": `apiVersion: berth.dev/v1alpha1
kind: Notification
metadata: { name: nt-team }
spec:
  applications: [nt]
  clusters: [${east.name}]
  on: [failed, blocked, succeeded]
  sinks:
    - webhook: { url: "${rx.url}/hook", secretFile: ${join(creds, "hook-key")} }
    - webhook: { url: "${rx.url}/flaky", secretFile: ${join(creds, "hook-key")} }
    - slack: { urlFile: ${join(creds, "slack-url")} }
`,
  });
});

afterAll(async () => {
  for (const s of opened) await s.close();
  await rx?.close();
  if (repo) await removeRepo(repo);
  if (creds) await rm(creds, { recursive: true, force: true });
});

describe("notifications from berth serve", () => {
  let first: ServeHandle;

  it("a webhook gets succeeded, failed and blocked once each, signed with the key from the operator's file; Slack gets the same as text", async () => {
    first = await serve();
    await until("succeeded, failed and blocked on the webhook", async () =>
      eventOf("/hook", "succeeded", "nt-ok") && eventOf("/hook", "failed", "nt-bad") && eventOf("/hook", "blocked", "nt-wait") ? true : undefined,
    180_000, 250);
    for (const r of accepted("/hook")) {
      expect(verifySignature(r.body, HOOK_KEY, r.headers["x-berth-signature-256"] as string)).toBe(true);
      expect(verifySignature(r.body, "another-key", r.headers["x-berth-signature-256"] as string)).toBe(false);
      expect(r.headers["x-berth-event-id"]).toBe((JSON.parse(r.body) as Body).id);
    }
    const failed = eventOf("/hook", "failed", "nt-bad")!;
    expect(failed).toMatchObject({ notification: "nt-team", cluster: east.name, revision: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(failed.reason).toBeTruthy();
    expect(eventOf("/hook", "blocked", "nt-wait")!.reason).toMatch(/requires nt-absent ">=1\.0\.0" on cluster east; no release of it is placed there/);
    const ids = bodies("/hook").map((b) => b.id);
    expect(new Set(ids).size).toBe(ids.length);

    await until("three Slack messages", async () => (accepted(`/slack/${SLACK_SECRET}`).length >= 3 ? true : undefined), 30_000, 250);
    const texts = accepted(`/slack/${SLACK_SECRET}`).map((r) => (JSON.parse(r.body) as { text: string }).text);
    expect(texts).toEqual(expect.arrayContaining([
      expect.stringMatching(/^:white_check_mark: berth: nt-ok on east succeeded — install - → 1\.0\.0 at [0-9a-f]{12}$/),
      expect.stringMatching(/^:x: berth: nt-bad on east failed — install - → 1\.0\.0 at [0-9a-f]{12}: /),
      expect.stringMatching(/^:x: berth: nt-wait on east is blocked at [0-9a-f]{12}: requires nt-absent/),
    ]));
  });

  it("a receiver that fails twice gets each event again until it takes it, exactly once", async () => {
    await until("the flaky receiver took three events", async () => (accepted("/flaky").length >= 3 ? true : undefined), 60_000, 250);
    const flaky = rx.received.filter((r) => r.path === "/flaky");
    expect(flaky.slice(0, 2).map((r) => r.status)).toEqual([503, 503]);
    const ids = accepted("/flaky").map((r) => (JSON.parse(r.body) as Body).id);
    expect(new Set(ids).size).toBe(ids.length);
    // the flaky sink's ids are its own (another sink, another id), one per event
    expect(bodies("/flaky").map((b) => `${b.event} ${b.release}`).sort()).toEqual(bodies("/hook").map((b) => `${b.event} ${b.release}`).sort());
    // a delivery is counted once berth has read the receiver's answer, a moment after the receiver recorded it
    const sentTwice = /berth_notifications_total\{sink="webhook",event="failed",outcome="sent"\} 2/;
    const metrics = await until(
      "the second failed-event delivery counted",
      async () => {
        const text = await (await fetch(`${first.url}/metrics`)).text();
        return sentTwice.test(text) ? text : undefined;
      },
      10_000,
      100,
    ).catch(async () => (await fetch(`${first.url}/metrics`)).text());
    expect(metrics).toMatch(sentTwice);
    expect(metrics).toMatch(/berth_notifications_total\{sink="slack",event="blocked",outcome="sent"\} 1/);
  });

  it("what was sent is remembered on the cluster; a restarted berth serve sends none of it again", async () => {
    const { core } = kubeFor(east);
    // three events to three sinks: nine ids
    await until("the record of what was sent", async () => {
      const cm = await core.readNamespacedConfigMap({ name: "berth-notifications", namespace: BERTH_NS });
      return Object.keys(JSON.parse(cm.data!.sent!) as object).length >= 9 ? true : undefined;
    }, 30_000, 250);
    await first.close();
    const before = accepted("/hook").length;
    const blockedBefore = bodies("/hook").filter((b) => b.event === "blocked").length;

    const second = await serve();
    try {
      // the same blocked release is derived again by the new process's first pass
      await until("the blocked event found already sent", async () => {
        const m = await (await fetch(`${second.url}/metrics`)).text();
        return /berth_notifications_total\{sink="webhook",event="blocked",outcome="already-sent"\} 2/.test(m) ? true : undefined;
      }, 120_000, 250);
      await new Promise((r) => setTimeout(r, 2000));
      expect(bodies("/hook").filter((b) => b.event === "blocked")).toHaveLength(blockedBefore);
      // a retry of the failed install is a new action (a new id); nothing already taken is taken twice
      const ids = accepted("/hook").map((r) => (JSON.parse(r.body) as Body).id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(accepted("/hook").length).toBeGreaterThanOrEqual(before);
    } finally {
      await second.close();
    }
  });

  it("berth reconcile --once notifies too, and waits for the delivery before it exits", async () => {
    await commitFiles(repo, {
      "notify/cli.yaml": `apiVersion: berth.dev/v1alpha1
kind: Notification
metadata: { name: nt-cli }
spec:
  applications: [nt]
  on: [blocked]
  sinks:
    - webhook: { url: "${rx.url}/cli", secretFile: ${join(creds, "hook-key")} }
`,
    });
    const r = await runBerth([
      "reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", await tempCacheDir(), "--helm-timeout", "10",
      "--notification-credentials-dir", creds, "--notification-url-allow", `${rx.url}/cli`, "--notification-namespace", BERTH_NS,
    ]);
    expect(r.err).not.toContain(HOOK_KEY);
    const got = bodies("/cli");
    expect(got.map((b) => `${b.notification} ${b.event} ${b.release}`)).toContain("nt-cli blocked nt-wait");
    for (const x of accepted("/cli")) expect(verifySignature(x.body, HOOK_KEY, x.headers["x-berth-signature-256"] as string)).toBe(true);
  });

  it("logs name sinks by kind and host, never the key, the Slack URL's secret path or a token", () => {
    expect(logs).toContain('"sink":"webhook 127.0.0.1:');
    expect(logs).toContain("notification sent");
    expect(logs).not.toContain(HOOK_KEY);
    expect(logs).not.toContain("nt-slack-secret");
  });
});
