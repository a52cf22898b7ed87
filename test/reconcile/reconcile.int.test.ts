// The reconciler end to end: a real git remote, the real helm, two local
// clusters. One story, step by step, as a platform team would live it.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type FileTree, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, revisions, taskComponent, tempCacheDir, webComponent, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];

const upgradeStep = `  upgrades:
    - from: ">=1.0.0 <1.1.0"
      to: 1.1.0
      run: { image: registry.example.com/test/migrate, args: ["up", "1.1.0"] }
      rollback: { image: registry.example.com/test/migrate, args: ["down", "1.0.0"] }
`;

const appYaml = (P: string, NS: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ${P} }
spec:
  namespace: ${NS}
  components:
    - { name: cache, component: cache, version: "^1.0.0" }
    - { name: init, component: init, version: "^1.0.0", dependsOn: [cache] }
    - { name: api, component: api, version: "^1.0.0", dependsOn: [init] }
`;

const pinYaml = (P: string, cluster: string) => `apiVersion: berth.dev/v1alpha1
kind: Overlay
metadata: { name: pin-${cluster} }
spec:
  application: ${P}
  clusters: [${cluster}]
  components:
    api: { version: "~1.0.0" }
`;

// The same story with Helm 4 and Helm 3, each in its own application and namespace.
describe.each([
  ["helm 4", "shop", () => binaries.helm],
  ["helm 3", "shop3", () => binaries.helm3],
])("berth reconcile against two clusters with %s", (_label, P, helmBin) => {
  const NS = `rt-${P}`;
  const app = appYaml(P, NS);
  const pinWest = pinYaml(P, "west");
  let repo: GitFixture;
  let cache: string;
  let files: FileTree;

  async function push(change: FileTree, message: string) {
    files = { ...files, ...change };
    await commitFiles(repo, change, { message });
  }

  async function reconcile() {
    const r = await berth([
      "reconcile", "--once", "--source", repo.url, "--helm", helmBin(), "--cache-dir", cache,
      "--helm-timeout", "20", "--output", "json",
    ]);
    const report = r.out.trim() ? JSON.parse(r.out.trim().split("\n").at(-1)!) : undefined;
    return { ...r, report };
  }

  type Report = { helmCalls: number; clusters: Array<{ cluster: string; releases: Array<{ name: string; namespace: string; outcome: string; reason: string; records: Array<{ action: string; at: string; result: string; steps: Array<{ kind: string; to: string; succeeded: boolean }>; error?: string; fromVersion?: string; toVersion?: string }> }> }> };
  const release = (report: Report, cluster: string, name: string) =>
    report.clusters.find((c) => c.cluster === cluster)!.releases.find((r) => r.name === name)!;

  async function allRevisions() {
    const out: Record<string, unknown> = {};
    for (const c of [east, west]) for (const r of [`${P}-cache`, `${P}-init`, `${P}-api`]) out[`${c.name}/${r}`] = await revisions(c, NS, r);
    return out;
  }

  beforeAll(async () => {
    repo = await createBareRepo();
    cache = await tempCacheDir();
    files = {
      ...clusterFiles([east, west]),
      "components/cache.yaml": workerComponent("cache", "1.0.0"),
      "components/init.yaml": taskComponent("init", "1.0.0"),
      "components/api-1.0.0.yaml": webComponent("api", "1.0.0", { requires: `{ cache: ">=1.0.0" }` }),
      "apps/shop.yaml": app,
      "overlays/pin-west.yaml": pinWest,
    };
    await commitFiles(repo, files, { message: "shop 1.0.0" });
  });

  afterAll(async () => {
    await removeRepo(repo);
  });

    it("installs every release on both clusters in dependency order, all healthy", async () => {
      const r = await reconcile();
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      for (const c of [east, west]) {
        const at = (name: string) => Date.parse(release(r.report, c.name, name).records[0]!.at);
        const done = (name: string) => {
          const rec = release(r.report, c.name, name).records[0]!;
          return Date.parse(rec.at) + 0;
        };
        expect(release(r.report, c.name, `${P}-api`).records.map((x) => x.action)).toEqual(["install"]);
        // each dependent starts only after what it needs has finished
        expect(at(`${P}-init`)).toBeGreaterThanOrEqual(done(`${P}-cache`));
        expect(at(`${P}-api`)).toBeGreaterThan(at(`${P}-init`));
        expect(await deploymentImage(c, NS, `${P}-api`)).toBe("registry.example.com/test/api:1.0.0");
      }
      const status = await berth(["status", "--source", repo.url, "--helm", helmBin(), "--cache-dir", cache, "--output", "json"]);
      const s = JSON.parse(status.out) as { clusters: Array<{ name: string; releases: Array<{ name: string; namespace: string; health: string; deployedVersion: string }> }> };
      for (const c of s.clusters) {
        expect(c.releases.filter((x) => x.namespace === NS).map((x) => [x.name, x.health])).toEqual([
          [`${P}-api`, "healthy"],
          [`${P}-cache`, "healthy"],
          [`${P}-init`, "healthy"],
        ]);
      }
      // the records live on the cluster: a fresh process reads them
      const hist = await berth(["history", `${P}-api`, "--cluster", "east", "--source", repo.url, "--helm", helmBin(), "--cache-dir", await tempCacheDir(), "--output", "json"]);
      expect(JSON.parse(hist.out).map((x: { action: string; result: string }) => `${x.action}:${x.result}`)).toEqual(["install:succeeded"]);
    });

    it("makes zero helm calls when nothing changed", async () => {
      const r = await reconcile();
      expect(r.code).toBe(0);
      expect(r.report.helmCalls).toBe(0);
      expect(r.report.clusters.flatMap((c: Report["clusters"][0]) => c.releases.filter((x) => x.namespace === NS).map((x) => x.outcome))).toEqual(Array(6).fill("unchanged"));
    });

    it("runs the declared upgrade step once, then upgrades; the pinned cluster stays", async () => {
      const westBefore = await revisions(west, NS, `${P}-api`);
      await push({ "components/api-1.1.0.yaml": webComponent("api", "1.1.0", { requires: `{ cache: ">=1.0.0" }`, upgrades: upgradeStep }) }, "api 1.1.0");
      const r = await reconcile();
      expect(r.code).toBe(0);
      const rec = release(r.report, "east", `${P}-api`).records;
      expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result])).toEqual([["upgrade", "1.0.0", "1.1.0", "succeeded"]]);
      expect(rec[0]!.steps.map((s) => [s.kind, s.to, s.succeeded])).toEqual([["run", "1.1.0", true]]);
      const jobs = await kubeFor(east).batch.listNamespacedJob({ namespace: NS, labelSelector: "berth.dev/step=run" });
      expect(jobs.items).toHaveLength(1);
      expect(await deploymentImage(east, NS, `${P}-api`)).toBe("registry.example.com/test/api:1.1.0");
      expect(await revisions(west, NS, `${P}-api`)).toEqual(westBefore);
      // a second pass does not run the step again
      const again = await reconcile();
      expect(again.report.helmCalls).toBe(0);
      expect((await kubeFor(east).batch.listNamespacedJob({ namespace: NS, labelSelector: "berth.dev/step=run" })).items).toHaveLength(1);
    });

    it("rolls a failed upgrade back to the previous version; the other cluster is untouched", async () => {
      const westBefore = await revisions(west, NS, `${P}-api`);
      await push(
        { "components/api-1.2.0.yaml": webComponent("api", "1.2.0", { image: "registry.example.com/test/api-never-ready", requires: `{ cache: ">=1.0.0" }` }) },
        "api 1.2.0 (never ready)",
      );
      const r = await reconcile();
      expect(r.code).toBe(1);
      const rec = release(r.report, "east", `${P}-api`).records.at(-1)!;
      expect(rec).toMatchObject({ action: "upgrade", fromVersion: "1.1.0", toVersion: "1.2.0", result: "failed" });
      expect(rec.error).toMatch(/rolled back to revision 2 \(1\.1\.0\)/);
      expect(await deploymentImage(east, NS, `${P}-api`)).toBe("registry.example.com/test/api:1.1.0");
      const eastRevs = await revisions(east, NS, `${P}-api`);
      expect(eastRevs.at(-1)).toEqual({ revision: 4, status: "deployed" });
      expect(eastRevs.find((x) => x.revision === 3)?.status).toBe("failed");
      expect(await revisions(west, NS, `${P}-api`)).toEqual(westBefore);
      const status = await berth(["status", "--source", repo.url, "--helm", helmBin(), "--cache-dir", cache, "--output", "json"]);
      const api = JSON.parse(status.out).clusters.find((c: { name: string }) => c.name === "east").releases.find((x: { name: string }) => x.name === `${P}-api`);
      expect(api).toMatchObject({ desiredVersion: "1.2.0", deployedVersion: "1.1.0", health: "healthy" });
      expect(api.lastError).toMatch(/upgrade/);
    });

    it("rolls back with the rollback step when an overlay narrows the range", async () => {
      await push(
        {
          "components/api-1.2.0.yaml": null,
          "overlays/pin-east.yaml": pinYaml(P, "east"),
        },
        "withdraw 1.2.0; pin east to ~1.0.0",
      );
      const r = await reconcile();
      expect(r.code).toBe(0);
      const rec = release(r.report, "east", `${P}-api`).records;
      expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result])).toEqual([["rollback", "1.1.0", "1.0.0", "succeeded"]]);
      expect(rec[0]!.steps.map((s) => [s.kind, s.to, s.succeeded])).toEqual([["rollback", "1.1.0", true]]);
      expect(await deploymentImage(east, NS, `${P}-api`)).toBe("registry.example.com/test/api:1.0.0");
    });

    it("blocks a release whose requires no cluster satisfies, and nothing else", async () => {
      const before = await allRevisions();
      await push(
        {
          "components/search-1.0.0.yaml": workerComponent("search", "1.0.0"),
          "components/search-2.0.0.yaml": workerComponent("search", "2.0.0"),
          "components/web.yaml": webComponent("web", "1.0.0", { requires: `{ search: ">=2.0.0" }` }),
          "apps/blog.yaml": [
            "apiVersion: berth.dev/v1alpha1",
            "kind: Application",
            `metadata: { name: ${P}b }`,
            "spec:",
            `  namespace: ${NS}-blog`,
            "  components:",
            '    - { name: search, component: search, version: "~1.0.0" }',
            '    - { name: web, component: web, version: "^1.0.0" }',
          ].join("\n"),
        },
        "blog with an unmet requires",
      );
      const r = await reconcile();
      expect(r.code).toBe(0);
      for (const c of ["east", "west"]) {
        expect(release(r.report, c, `${P}b-web`)).toMatchObject({ outcome: "blocked" });
        expect(release(r.report, c, `${P}b-web`).reason).toContain('requires search ">=2.0.0"');
        expect(release(r.report, c, `${P}b-search`).outcome).toBe("applied");
      }
      expect(await allRevisions()).toEqual(before);
      const status = await berth(["status", "--source", repo.url, "--helm", helmBin(), "--cache-dir", cache]);
      expect(status.out).toContain(`${P}b-web: blocked: requires search ">=2.0.0" on cluster east; found ${P}b-search at 1.0.0 (components/web.yaml:`);
      expect(status.out).toMatch(/\(components\/web\.yaml:\d+:\d+ spec\.requires\.search\)/);
    });

    it("never applies an invalid commit; the next valid one is applied", async () => {
      const before = await allRevisions();
      await push({ "components/cache.yaml": workerComponent("cache", "1.0") }, "broken version");
      const bad = await reconcile();
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/components\/cache\.yaml:\d+:\d+ spec\.version: /);
      expect(await allRevisions()).toEqual(before);
      await push({ "components/cache.yaml": workerComponent("cache", "1.0.1") }, "fixed");
      const good = await reconcile();
      expect(good.code).toBe(0);
      expect(release(good.report, "east", `${P}-cache`).records.map((x) => [x.action, x.toVersion])).toEqual([["upgrade", "1.0.1"]]);
    });
});
