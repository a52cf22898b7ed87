// placement.rollout.canary on two real clusters: the canary goes first, the
// rest start only once it is healthy, and a failed canary holds them back.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, revisions, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];
const NS = "rt-canary";
const REL = "can-api";

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: can }
spec:
  namespace: ${NS}
  components:
    - { name: api, component: capi, version: "^1.0.0" }
  placement:
    clusterSelector: { env: test }
    rollout: { canary: [${east.name}], wait: healthy }
`;

interface Rec { action: string; at: string; durationMs: number; result: string; toVersion?: string }
interface Report { clusters: Array<{ cluster: string; releases: Array<{ name: string; outcome: string; reason: string; records: Rec[] }> }> }

describe("canary clusters", () => {
  let repo: GitFixture;
  let cache: string;

  const reconcile = async () => {
    const r = await berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "15", "--output", "json"]);
    return { code: r.code, err: r.err, report: JSON.parse(r.out.trim().split("\n").at(-1)!) as Report };
  };
  const release = (r: Report, cluster: string) => r.clusters.find((c) => c.cluster === cluster)!.releases.find((x) => x.name === REL)!;
  const startedAt = (rec: Rec) => Date.parse(rec.at);
  const endedAt = (rec: Rec) => Date.parse(rec.at) + rec.durationMs;

  beforeAll(async () => {
    repo = await createBareRepo();
    cache = await tempCacheDir();
    await commitFiles(repo, { ...clusterFiles([east, west]), "apps/can.yaml": app, "components/capi-1.0.0.yaml": webComponent("capi", "1.0.0") }, { message: "can 1.0.0" });
  });
  afterAll(async () => removeRepo(repo));

  it("installs on the canary first and on the rest only after it is healthy", async () => {
    const r = await reconcile();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const onEast = release(r.report, east.name).records.at(-1)!;
    const onWest = release(r.report, west.name).records.at(-1)!;
    expect([onEast.action, onEast.result, onWest.action, onWest.result]).toEqual(["install", "succeeded", "install", "succeeded"]);
    expect(startedAt(onWest)).toBeGreaterThanOrEqual(endedAt(onEast));
  });

  it("a canary whose upgrade fails is rolled back and holds the other clusters on the old version", async () => {
    const westBefore = await revisions(west, NS, REL);
    await commitFiles(repo, { "components/capi-1.1.0.yaml": webComponent("capi", "1.1.0", { image: "registry.example.com/test/capi-never-ready" }) }, { message: "capi 1.1.0 (never ready)" });
    const r = await reconcile();
    expect(r.code).toBe(1);
    expect(release(r.report, east.name).records.at(-1)).toMatchObject({ action: "upgrade", toVersion: "1.1.0", result: "failed" });
    expect(await deploymentImage(east, NS, REL)).toBe("registry.example.com/test/capi:1.0.0");
    const held = release(r.report, west.name);
    expect(held.outcome).toBe("blocked");
    expect(held.reason).toMatch(new RegExp(`^rollout: held: wave 1 of can failed \\(${east.name}: ${REL} failed`));
    expect(await revisions(west, NS, REL)).toEqual(westBefore);
  });

  it("the next good version goes to the canary, then to the rest", async () => {
    await commitFiles(repo, { "components/capi-1.1.0.yaml": null, "components/capi-1.1.1.yaml": webComponent("capi", "1.1.1") }, { message: "capi 1.1.1" });
    const r = await reconcile();
    expect(r.code).toBe(0);
    const onEast = release(r.report, east.name).records.at(-1)!;
    const onWest = release(r.report, west.name).records.at(-1)!;
    expect([onEast.toVersion, onEast.result, onWest.toVersion, onWest.result]).toEqual(["1.1.1", "succeeded", "1.1.1", "succeeded"]);
    expect(startedAt(onWest)).toBeGreaterThanOrEqual(endedAt(onEast));
    expect(await deploymentImage(west, NS, REL)).toBe("registry.example.com/test/capi:1.1.1");
  });
});
