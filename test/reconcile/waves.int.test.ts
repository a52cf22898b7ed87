// placement.rollout.waves over three real clusters: wave 1, then wave 2 after
// its soak, then wave 3 once a person approves that revision (berth approve);
// a new revision needs a new approval; a failed wave 1 holds the others; and
// another application on the same clusters is never held by these waves.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { verifySignature } from "../../src/notify/signature.ts";
import { startReceiver, type Receiver } from "../notify/receiver.ts";
import { ensureBinaries, startCluster, type LocalCluster } from "../cluster/harness.ts";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { until } from "../support/until.ts";
import { berth, clusterFiles, deploymentImage, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [ProvidedCluster, ProvidedCluster];
const NS = "rt-waves";
const NS_B = "rt-waves-b";
const SOAK_S = 6;

const KEY = "waves-hook-key";

let third: LocalCluster;
let rx: Receiver;
let creds: string;
let c3: ProvidedCluster;
let repo: GitFixture;
let cache: string;

const appA = () => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: wv }
spec:
  namespace: ${NS}
  components:
    - { name: api, component: wvapi, version: "^1.0.0" }
  placement:
    clusterSelector: { env: test }
    rollout:
      waves:
        - { clusters: [${east.name}] }
        - { clusters: [${west.name}], soak: ${SOAK_S}s }
        - { clusters: [${c3.name}], approval: manual }
`;
const appB = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: wb }
spec:
  namespace: ${NS_B}
  components:
    - { name: web, component: wbweb, version: "^1.0.0" }
  placement: { clusterSelector: { env: test } }
`;

interface Rec { action: string; result: string; toVersion?: string }
interface Rel { name: string; outcome: string; reason: string; records: Rec[] }
interface Wave { index: number; clusters: string[]; state: string; waitingFor?: string; since?: string; until?: string; reason?: string }
interface Report { revision: string; clusters: Array<{ cluster: string; releases: Rel[] }>; rollout?: Array<{ application: string; revision: string; waves: Wave[] }> }

const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "15"];
const notifyFlags = () => ["--notification-credentials-dir", creds, "--notification-url-allow", `${rx.url}/waves`, "--notification-namespace", "rt-waves-berth"];
const notification = () => `apiVersion: berth.dev/v1alpha1
kind: Notification
metadata: { name: wv-team }
spec:
  applications: [wv]
  on: [failed, waiting-approval]
  sinks:
    - webhook: { url: "${rx.url}/waves", secretFile: ${join(creds, "key")} }
`;
/** What the webhook receiver got, each body checked against its signature. */
const told = () =>
  rx.received.map((r) => {
    expect(verifySignature(r.body, KEY, r.headers["x-berth-signature-256"] as string)).toBe(true);
    return JSON.parse(r.body) as { event: string; cluster: string; release?: string; wave?: number; reason?: string; revision: string };
  });
async function reconcile(): Promise<{ code: number; report: Report }> {
  const r = await berth(["reconcile", "--once", ...flags(), ...notifyFlags(), "--notify-wait", "10", "--output", "json"]);
  return { code: r.code, report: JSON.parse(r.out.trim().split("\n").at(-1)!) as Report };
}
const rel = (r: Report, cluster: string, name: string) => r.clusters.find((c) => c.cluster === cluster)!.releases.find((x) => x.name === name)!;
const waves = (r: Report) => r.rollout!.find((x) => x.application === "wv")!.waves;
const states = (r: Report) => waves(r).map((w) => `${w.index}:${w.state}${w.waitingFor ? `(${w.waitingFor})` : ""}`);
/** The Deployment's image, or undefined when it is not there (never installed on that cluster). */
const image = (c: ProvidedCluster, ns = NS, name = "wv-api") => deploymentImage(c, ns, name).catch(() => undefined);

beforeAll(async () => {
  third = await startCluster({ name: "wave3", binaries: await ensureBinaries() });
  rx = await startReceiver();
  creds = await mkdtemp(join(tmpdir(), "berth-waves-creds-"));
  await writeFile(join(creds, "key"), KEY);
  c3 = { name: "wave3", kubeconfig: third.kubeconfigPath, server: third.server };
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([east, west, c3]),
    "apps/wv.yaml": appA(),
    "apps/wb.yaml": appB,
    "notify/wv.yaml": notification(),
    "components/wvapi-1.0.0.yaml": webComponent("wvapi", "1.0.0"),
    "components/wbweb-1.0.0.yaml": webComponent("wbweb", "1.0.0"),
  }, { message: "wv 1.0.0" });
});

afterAll(async () => {
  await third?.stop();
  await rx?.close();
  if (creds) await rm(creds, { recursive: true, force: true });
  await removeRepo(repo);
});

describe("rollout waves", () => {
  it("wave 1 goes, wave 2 soaks, wave 3 waits for approval; the other application goes everywhere at once", async () => {
    const r = await reconcile();
    expect(r.code).toBe(0);
    expect(rel(r.report, east.name, "wv-api").outcome).toBe("applied");
    expect(rel(r.report, west.name, "wv-api")).toMatchObject({ outcome: "blocked", reason: expect.stringMatching(/^rollout: soaking: wave 1 of wv healthy since/) });
    expect(rel(r.report, c3.name, "wv-api")).toMatchObject({ outcome: "blocked", reason: "rollout: waiting for wave 2 of wv to be healthy" });
    for (const c of [east, west, c3]) expect(rel(r.report, c.name, "wb-web").outcome).toBe("applied");
    expect(states(r.report)).toEqual(["1:done", "2:waiting(soak)", "3:waiting(previous-wave)"]);
    const soak = waves(r.report)[1]!;
    expect(Date.parse(soak.until!) - Date.parse(soak.since!)).toBe(SOAK_S * 1000);
    expect(await image(west)).toBeUndefined();
  });

  it("after the soak wave 2 goes; wave 3 then waits for a person, and status says so", async () => {
    const before = await reconcile();
    const until_ = waves(before.report)[1]!.until;
    if (until_) await new Promise((res) => setTimeout(res, Math.max(0, Date.parse(until_) - Date.now() + 200)));
    const r = await reconcile();
    expect(rel(r.report, west.name, "wv-api").outcome).toBe("applied");
    expect(rel(r.report, c3.name, "wv-api")).toMatchObject({ outcome: "blocked", reason: `rollout: waiting for approval: berth approve wv --wave 3 --revision ${r.report.revision.slice(0, 12)}` });
    expect(states(r.report)).toEqual(["1:done", "2:done", "3:waiting(approval)"]);
    const status = await berth(["status", ...flags()]);
    expect(status.out).toMatch(new RegExp(`wave 3 \\[${c3.name}\\] \\(approval\\): waiting for approval since \\S+: waiting for approval`));
    expect(await image(c3)).toBeUndefined();
    // told once, though two passes found wave 3 waiting
    const waiting = told().filter((b) => b.event === "waiting-approval");
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ cluster: c3.name, wave: 3, revision: r.report.revision });
  });

  it("berth approve stores the approval on the wave's clusters; the next pass (another process) starts wave 3", async () => {
    const a = await berth(["approve", "wv", ...flags(), "--output", "json"]);
    expect(a.code).toBe(0);
    const approval = JSON.parse(a.out) as { wave: number; stored: string[]; by: string; revision: string };
    expect(approval).toMatchObject({ wave: 3, stored: [c3.name] });
    expect(approval.by).toMatch(/@/);
    const r = await reconcile();
    expect(r.code).toBe(0);
    expect(rel(r.report, c3.name, "wv-api").outcome).toBe("applied");
    expect(states(r.report)).toEqual(["1:done", "2:done", "3:done"]);
    expect(await image(c3)).toBe("registry.example.com/test/wvapi:1.0.0");
  });

  it("a new revision needs a new approval; an approval of another revision is refused", async () => {
    const old = (await reconcile()).report.revision;
    await commitFiles(repo, { "components/wvapi-1.1.0.yaml": webComponent("wvapi", "1.1.0") }, { message: "wv 1.1.0" });
    let r = await reconcile();
    expect(rel(r.report, east.name, "wv-api").records.at(-1)).toMatchObject({ action: "upgrade", toVersion: "1.1.0", result: "succeeded" });
    await until("wave 2 after its soak", async () => {
      r = await reconcile();
      return rel(r.report, west.name, "wv-api").outcome === "applied" ? true : undefined;
    }, 60_000, 1000);
    expect(rel(r.report, c3.name, "wv-api").outcome).toBe("blocked");
    expect(states(r.report)).toEqual(["1:done", "2:done", "3:waiting(approval)"]);
    const stale = await berth(["approve", "wv", "--revision", old.slice(0, 12), ...flags()]);
    expect(stale.code).toBe(1);
    expect(stale.err).toContain(`--revision ${old.slice(0, 12)} is not the revision berth applies now (${r.report.revision.slice(0, 12)})`);
    expect(await image(c3)).toBe("registry.example.com/test/wvapi:1.0.0");
    expect((await berth(["approve", "wv", "--wave", "3", "--revision", r.report.revision.slice(0, 12), ...flags()])).code).toBe(0);
    r = await reconcile();
    expect(rel(r.report, c3.name, "wv-api").records.at(-1)).toMatchObject({ action: "upgrade", toVersion: "1.1.0", result: "succeeded" });
  });

  it("a failed wave 1 holds the rest, and the other application still moves everywhere", async () => {
    await commitFiles(
      repo,
      {
        "components/wvapi-1.2.0.yaml": webComponent("wvapi", "1.2.0", { image: "registry.example.com/test/wvapi-never-ready" }),
        "components/wbweb-1.1.0.yaml": webComponent("wbweb", "1.1.0"),
      },
      { message: "wv 1.2.0 (never ready), wb 1.1.0" },
    );
    const r = await reconcile();
    expect(r.code).toBe(1);
    expect(rel(r.report, east.name, "wv-api").records.at(-1)).toMatchObject({ action: "upgrade", toVersion: "1.2.0", result: "failed" });
    for (const c of [west, c3]) {
      expect(rel(r.report, c.name, "wv-api")).toMatchObject({ outcome: "blocked", reason: expect.stringMatching(/^rollout: held: wave 1 of wv failed \(.*wv-api failed/) });
      expect(await image(c)).toBe("registry.example.com/test/wvapi:1.1.0");
    }
    for (const c of [east, west, c3]) expect(await image(c, NS_B, "wb-web")).toBe("registry.example.com/test/wbweb:1.1.0");
    expect(states(r.report)).toEqual(["1:failed", "2:waiting(previous-wave)", "3:waiting(previous-wave)"]);
    const failed = told().filter((b) => b.event === "failed" && b.revision === r.report.revision);
    expect(failed).toEqual([expect.objectContaining({ cluster: east.name, release: "wv-api" })]);
  });
});
