// waiting-approval and drift notifications from a real berth serve on two
// local clusters (issue 12 item 3): an application in two waves, the second
// asking for approval, tells a webhook that wave 2 waits (once, however many
// passes find it waiting), then after `berth approve` that the release
// succeeded there; a Deployment scaled by hand is told as drift.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import { verifySignature } from "../../src/notify/signature.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { runBerth } from "../support/cli.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { until } from "../support/until.ts";
import { clusterFiles, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const NS = "wa-notify";
const KEY = "wa-hook-key-7d21";

let rx: Receiver;
let repo: GitFixture;
let creds: string;
let cache: string;
let source: GitSource;
let serve: ServeHandle;

interface Body { id: string; event: string; cluster: string; clusters?: string[]; release?: string; wave?: number; reason?: string; revision?: string }
const bodies = () => rx.received.filter((r) => r.path === "/wa" && r.status === 200).map((r) => JSON.parse(r.body) as Body);

describe.runIf(clusters.length >= 2)("rollout and drift notifications", () => {
  const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];

  beforeAll(async () => {
    rx = await startReceiver();
    creds = await mkdtemp(join(tmpdir(), "berth-wa-creds-"));
    await writeFile(join(creds, "key"), KEY);
    cache = await tempCacheDir();
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east, west]),
      "components/wa-web.yaml": webComponent("wa-web", "1.0.0"),
      "apps/wa.yaml": `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: wa }
spec:
  namespace: ${NS}
  components:
    - { name: web, component: wa-web, version: "^1.0.0" }
  placement:
    clusters: [${east.name}, ${west.name}]
    rollout:
      waves:
        - { clusters: [${east.name}] }
        - { clusters: [${west.name}], approval: manual }
`,
      "notify/wa.yaml": `apiVersion: berth.dev/v1alpha1
kind: Notification
metadata: { name: wa-team }
spec:
  applications: [wa]
  on: [waiting-approval, succeeded, drift]
  sinks:
    - webhook: { url: "${rx.url}/wa", secretFile: ${join(creds, "key")} }
`,
    });
    source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
    serve = await startServe({
      source,
      cacheDir: cache,
      helmBinary: binaries.helm,
      log: createLogger({ level: "silent" }),
      port: 0,
      host: "127.0.0.1",
      intervalMs: 600_000,
      helmTimeoutMs: 30_000,
      driftIntervalMs: 1, // a drift check after every pass
      notify: { policy: { credentialDirs: [creds], urls: [`${rx.url}/wa`] }, namespace: "wa-berth" },
    });
  });

  afterAll(async () => {
    await serve?.close();
    await source?.close();
    await rx?.close();
    if (repo) await removeRepo(repo);
    if (creds) await rm(creds, { recursive: true, force: true });
  });

  it("wave 2 waiting for approval is told once, naming its clusters and the command; after berth approve its release succeeds there", async () => {
    await until("succeeded on east", async () => (bodies().some((b) => b.event === "succeeded" && b.cluster === east.name) ? true : undefined), 180_000, 250);
    // wave 1 is healthy after the pass that installed it: the next pass finds wave 2 waiting
    serve.trigger();
    const waiting = await until("waiting-approval", async () => bodies().find((b) => b.event === "waiting-approval"), 120_000, 250);
    expect(waiting).toMatchObject({ cluster: west.name, clusters: [west.name], wave: 2, revision: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(waiting.reason).toMatch(/^waiting for approval: berth approve wa --wave 2 --revision [0-9a-f]{12}$/);
    for (const r of rx.received.filter((x) => x.path === "/wa")) expect(verifySignature(r.body, KEY, r.headers["x-berth-signature-256"] as string)).toBe(true);
    serve.trigger();
    await serve.nextPass();
    expect(bodies().filter((b) => b.event === "waiting-approval")).toHaveLength(1);
    expect(bodies().some((b) => b.cluster === west.name && b.event === "succeeded")).toBe(false);

    const approve = await runBerth(["approve", "wa", "--wave", "2", "--source", repo.url, "--cache-dir", await tempCacheDir()]);
    expect(approve.code, approve.out + approve.err).toBe(0);
    serve.trigger();
    await until("succeeded on west", async () => (bodies().some((b) => b.event === "succeeded" && b.cluster === west.name) ? true : undefined), 180_000, 250);
    expect(bodies().filter((b) => b.event === "waiting-approval")).toHaveLength(1);
  });

  it("a Deployment scaled by hand is told as drift, naming the field", async () => {
    const { apps } = kubeFor(east);
    await apps.patchNamespacedDeployment({ name: "wa-web", namespace: NS, body: [{ op: "replace", path: "/spec/replicas", value: 3 }] });
    serve.trigger();
    const drift = await until("drift on east", async () => bodies().find((b) => b.event === "drift" && b.cluster === east.name), 120_000, 250);
    expect(drift.release).toBe("wa-web");
    expect(drift.reason).toMatch(/Deployment\/wa-web: spec\.replicas/);
  });
});
