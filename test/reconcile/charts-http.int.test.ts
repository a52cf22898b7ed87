// metrics-server from a Helm HTTP repository (real `helm repo index` over the
// real chart packages) on two clusters with a per-cluster Overlay: installed,
// upgraded 3.12.2 -> 3.13.1 by widening the range (an upgrade step Job runs),
// rolled back by narrowing it, and resynced with no helm call and no chart
// pull. Then Helm 3, basic auth with credential files inside and outside
// --repository-credentials-dir, and a repository that goes down.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPOSITORY_CREDENTIALS_DIR_FLAG } from "../../src/model/kubeconfig-path.ts";
import { ensureCharts, startChartRepo, type ChartRepo, type PackagedCharts } from "../cluster/charts.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { chartRepository, chartRig, helmHistory, helmList, metricsServer, outcomes, reasons, releaseDeployments, releaseIn, uninstall, type ChartRig } from "./chart-sources.ts";
import { berth, clusterFiles, kubeFor, revisions, tempCacheDir } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];

let charts: PackagedCharts;
let sigs: ChartRepo;

beforeAll(async () => {
  charts = await ensureCharts(binaries);
  sigs = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.12.2"]!, charts["metrics-server@3.13.1"]!] });
});
afterAll(async () => {
  await sigs?.stop();
});

const steps = `  upgrades:
    - from: ">=3.12.0 <3.13.0"
      to: 3.13.1
      run: { image: registry.example.com/test/migrate, args: ["up", "3.13"] }
      rollback: { image: registry.example.com/test/migrate, args: ["down", "3.12"] }
`;
const app = (name: string, ns: string, range: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  namespace: ${ns}
  components:
    - { name: metrics, component: ${name}-metrics, version: "${range}" }
`;
const replicasOverlay = (application: string, cluster: string, replicas: number) => `apiVersion: berth.dev/v1alpha1
kind: Overlay
metadata: { name: ${application}-${cluster} }
spec:
  application: ${application}
  clusters: [${cluster}]
  components:
    metrics: { values: { replicas: ${replicas} } }
`;

describe("metrics-server from an HTTP repository on two clusters (Helm 4)", () => {
  const NS = "rt-ch-http";
  const REL = "mx-metrics";
  let repo: GitFixture;
  let cache: string;
  let rig: ChartRig;

  beforeAll(async () => {
    repo = await createBareRepo();
    cache = await tempCacheDir();
    await commitFiles(repo, {
      ...clusterFiles([east, west]),
      "repositories/sigs.yaml": chartRepository("sigs", sigs.url, "  interval: 1h\n"),
      "components/metrics.yaml": metricsServer("mx-metrics", "sigs", { versions: ">=3.12.0 <4", upgrades: steps }),
      "apps/mx.yaml": app("mx", NS, "~3.12.0"),
      "overlays/east.yaml": replicasOverlay("mx", "east", 2),
      "overlays/west.yaml": replicasOverlay("mx", "west", 3),
    });
    rig = await chartRig({ url: repo.url, cacheDir: cache, helm: binaries.helm });
  });
  afterAll(async () => {
    await rig?.close();
    for (const c of [east, west]) await uninstall(binaries.helm, c, NS, [REL]);
    if (repo) await removeRepo(repo);
  });

  it("installs 3.12.2 on both clusters, each with its Overlay's values", async () => {
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ [`east/${REL}`]: "applied", [`west/${REL}`]: "applied" });
    for (const [c, replicas] of [[east, 2], [west, 3]] as const) {
      expect(await helmList(binaries.helm, c, NS)).toEqual([{ name: REL, revision: "1", status: "deployed", chart: "metrics-server-3.12.2" }]);
      expect(await releaseDeployments(c, NS, REL)).toEqual([{ name: `${REL}-metrics-server`, replicas, image: "registry.k8s.io/metrics-server/metrics-server:v0.7.2" }]);
      const r = releaseIn(report, c.name, REL);
      expect(r.records.map((x) => [x.action, x.toVersion, x.result])).toEqual([["install", "3.12.2", "succeeded"]]);
    }
    // the index once, each archive once (both clusters run the same chart)
    expect(rig.fetcher.requests).toEqual({ index: 1, manifest: 0, pull: 1 });
  });

  it("widening the range upgrades to 3.13.1, running the upgrade step's Job first", async () => {
    await commitFiles(repo, { "apps/mx.yaml": app("mx", NS, ">=3.12.0 <4") }, { message: "mx: >=3.12.0 <4" });
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ [`east/${REL}`]: "applied", [`west/${REL}`]: "applied" });
    for (const c of [east, west]) {
      const rec = releaseIn(report, c.name, REL).records;
      expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result])).toEqual([["upgrade", "3.12.2", "3.13.1", "succeeded"]]);
      expect(rec[0]!.steps.map((s) => [s.kind, s.to, s.succeeded])).toEqual([["run", "3.13.1", true]]);
      const jobs = await kubeFor(c).batch.listNamespacedJob({ namespace: NS, labelSelector: `berth.dev/release=${REL},berth.dev/step=run` });
      expect(jobs.items.map((j) => [j.metadata!.name, j.status?.succeeded])).toEqual([[rec[0]!.steps[0]!.job, 1]]);
      expect(await helmList(binaries.helm, c, NS)).toEqual([{ name: REL, revision: "2", status: "deployed", chart: "metrics-server-3.13.1" }]);
    }
    expect((await releaseDeployments(west, NS, REL))[0]).toMatchObject({ replicas: 3, image: "registry.k8s.io/metrics-server/metrics-server:v0.8.1" });
  });

  it("a resync makes no helm call and pulls no chart: after a webhook push only the index is read, and a restarted berth reads it once too", async () => {
    const before = { ...rig.fetcher.requests };
    const same = await rig.pass();
    expect(same.helmCalls).toBe(0);
    expect(outcomes(same), reasons(same)).toEqual({ [`east/${REL}`]: "unchanged", [`west/${REL}`]: "unchanged" });
    // inside the repository's interval (1h): not even the index
    expect(rig.fetcher.requests).toEqual(before);

    rig.reconciler.refreshCharts();
    const pushed = await rig.pass();
    expect(pushed.helmCalls).toBe(0);
    expect(outcomes(pushed), reasons(pushed)).toEqual({ [`east/${REL}`]: "unchanged", [`west/${REL}`]: "unchanged" });
    expect(rig.fetcher.requests).toEqual({ ...before, index: before.index + 1 });

    // a new process on the same cache: the archive is on disk, so the index read is the only request
    const restarted = await chartRig({ url: repo.url, cacheDir: cache, helm: binaries.helm });
    try {
      const again = await restarted.pass();
      expect(again.helmCalls).toBe(0);
      expect(outcomes(again), reasons(again)).toEqual({ [`east/${REL}`]: "unchanged", [`west/${REL}`]: "unchanged" });
      expect(restarted.fetcher.requests).toEqual({ index: 1, manifest: 0, pull: 0 });
    } finally {
      await restarted.close();
    }
  });

  it("narrowing the range to ~3.12.0 rolls back to the revision that ran 3.12.2, running the step's rollback Job", async () => {
    await commitFiles(repo, { "apps/mx.yaml": app("mx", NS, "~3.12.0") }, { message: "mx: ~3.12.0" });
    const report = await rig.pass();
    for (const c of [east, west]) {
      const rec = releaseIn(report, c.name, REL).records;
      expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result])).toEqual([["rollback", "3.13.1", "3.12.2", "succeeded"]]);
      expect(rec[0]!.steps.map((s) => [s.kind, s.to, s.succeeded])).toEqual([["rollback", "3.13.1", true]]);
      const jobs = await kubeFor(c).batch.listNamespacedJob({ namespace: NS, labelSelector: `berth.dev/release=${REL},berth.dev/step=rollback` });
      expect(jobs.items.map((j) => [j.metadata!.name, j.status?.succeeded])).toEqual([[rec[0]!.steps[0]!.job, 1]]);
      const history = await helmHistory(binaries.helm, c, NS, REL);
      expect(history.map((h) => [h.revision, h.status, h.chart])).toEqual([
        [1, "superseded", "metrics-server-3.12.2"],
        [2, "superseded", "metrics-server-3.13.1"],
        [3, "deployed", "metrics-server-3.12.2"],
      ]);
      expect(history[2]!.description).toBe("Rollback to 1");
    }
    expect((await releaseDeployments(east, NS, REL))[0]).toMatchObject({ replicas: 2, image: "registry.k8s.io/metrics-server/metrics-server:v0.7.2" });
    // and in sync after it: the next pass does nothing
    const calm = await rig.pass();
    expect(calm.helmCalls).toBe(0);
    expect(outcomes(calm), reasons(calm)).toEqual({ [`east/${REL}`]: "unchanged", [`west/${REL}`]: "unchanged" });
  });
});

describe("metrics-server with Helm 3", () => {
  const NS = "rt-ch-helm3";
  const REL = "mx3-metrics";
  let repo: GitFixture;
  let rig: ChartRig;

  beforeAll(async () => {
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "repositories/sigs.yaml": chartRepository("sigs", sigs.url),
      "components/metrics.yaml": metricsServer("mx3-metrics", "sigs", { upgrades: steps }),
      "apps/mx3.yaml": app("mx3", NS, "~3.12.0"),
      "overlays/east.yaml": replicasOverlay("mx3", "east", 2),
    });
    rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm3 });
  });
  afterAll(async () => {
    await rig?.close();
    await uninstall(binaries.helm3, east, NS, [REL]);
    if (repo) await removeRepo(repo);
  });

  it("installs, upgrades with the step, and resyncs with no helm call", async () => {
    const first = await rig.pass();
    expect(outcomes(first), reasons(first)).toEqual({ [`east/${REL}`]: "applied" });
    expect(await helmList(binaries.helm3, east, NS)).toEqual([{ name: REL, revision: "1", status: "deployed", chart: "metrics-server-3.12.2" }]);
    expect((await releaseDeployments(east, NS, REL))[0]).toMatchObject({ replicas: 2 });

    await commitFiles(repo, { "apps/mx3.yaml": app("mx3", NS, "^3.12.0") });
    const up = await rig.pass();
    const rec = releaseIn(up, east.name, REL).records;
    expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result, x.steps.map((s) => s.kind)])).toEqual([["upgrade", "3.12.2", "3.13.1", "succeeded", ["run"]]]);
    expect(await helmList(binaries.helm3, east, NS)).toEqual([{ name: REL, revision: "2", status: "deployed", chart: "metrics-server-3.13.1" }]);

    const pulls = rig.fetcher.requests.pull;
    const same = await rig.pass();
    expect(same.helmCalls).toBe(0);
    expect(rig.fetcher.requests.pull).toBe(pulls);
  });
});

describe("a repository behind basic auth: credential files inside --repository-credentials-dir, and outside it", () => {
  const NS = "rt-ch-auth";
  const auth = { username: "berth", password: "s3cret" };
  let locked: ChartRepo;
  let repo: GitFixture;
  let cache: string;
  let creds: string;
  let elsewhere: string;

  beforeAll(async () => {
    locked = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.13.1"]!], auth });
    const base = await mkdtemp(join(tmpdir(), "berth-repo-creds-"));
    creds = join(base, "allowed");
    elsewhere = join(base, "elsewhere");
    for (const d of [creds, elsewhere]) {
      await mkdir(d);
      await writeFile(join(d, "user"), `${auth.username}\n`);
      await writeFile(join(d, "pass"), `${auth.password}\n`);
    }
    const authOf = (dir: string) => `  auth: { usernameFile: ${join(dir, "user")}, passwordFile: ${join(dir, "pass")} }\n`;
    repo = await createBareRepo();
    cache = await tempCacheDir();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "repositories/inside.yaml": chartRepository("inside", locked.url, authOf(creds)),
      "repositories/outside.yaml": chartRepository("outside", locked.url, authOf(elsewhere)),
      "components/in.yaml": metricsServer("in-metrics", "inside"),
      "components/out.yaml": metricsServer("out-metrics", "outside"),
      "apps/in.yaml": app("in", NS, "^3.13.0"),
      "apps/out.yaml": app("out", NS, "^3.13.0"),
    });
  });
  afterAll(async () => {
    await uninstall(binaries.helm, east, NS, ["in-metrics", "out-metrics"]);
    await locked?.stop();
    if (repo) await removeRepo(repo);
  });

  it("`berth reconcile --repository-credentials-dir` installs from the repository whose files are inside it and blocks the other, naming the flag", async () => {
    const r = await berth([
      "reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "60",
      "--repository-credentials-dir", creds, "--output", "json",
    ]);
    expect(r.code, r.err).toBe(0);
    type Rel = { name: string; outcome: string; reason: string };
    const report = JSON.parse(r.out.trim().split("\n").at(-1)!) as { clusters: Array<{ cluster: string; releases: Rel[] }> };
    const rels = report.clusters.find((c) => c.cluster === east.name)!.releases;
    expect(rels.find((x) => x.name === "in-metrics")).toMatchObject({ outcome: "applied" });
    const out = rels.find((x) => x.name === "out-metrics")!;
    expect(out.outcome).toBe("blocked");
    expect(out.reason).toContain("ChartRepository outside");
    expect(out.reason).toContain(`spec.auth.usernameFile: ${join(elsewhere, "user")} is not a file inside the directories the operator allows (${creds})`);
    expect(out.reason).toContain(REPOSITORY_CREDENTIALS_DIR_FLAG);
    // the right credentials reached the repository; the refused files were never sent
    expect(locked.requests.filter((l) => l.endsWith(" 401"))).toEqual([]);
    expect(await helmList(binaries.helm, east, NS)).toEqual([{ name: "in-metrics", revision: "1", status: "deployed", chart: "metrics-server-3.13.1" }]);
    expect(await revisions(east, NS, "out-metrics")).toEqual([]);
  });
});

describe("a repository that is down", () => {
  const NS = "rt-ch-down";
  let flaky: ChartRepo;
  let repo: GitFixture;
  let rig: ChartRig;
  const rels = ["up-metrics", "dn-metrics"];

  beforeAll(async () => {
    flaky = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.12.2"]!] });
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "repositories/sigs.yaml": chartRepository("sigs", sigs.url),
      "repositories/flaky.yaml": chartRepository("flaky", flaky.url),
      "components/up.yaml": metricsServer("up-metrics", "sigs"),
      "components/dn.yaml": metricsServer("dn-metrics", "flaky"),
      "apps/up.yaml": app("up", NS, "~3.12.0"),
      "apps/dn.yaml": app("dn", NS, "~3.12.0"),
    });
    rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm });
  });
  afterAll(async () => {
    await rig?.close();
    await uninstall(binaries.helm, east, NS, rels);
    await flaky?.stop();
    if (repo) await removeRepo(repo);
  });

  it("blocks only its release, which stays as deployed, with the reason; the revision's other releases still apply", async () => {
    const first = await rig.pass();
    expect(outcomes(first), reasons(first)).toEqual({ "east/dn-metrics": "applied", "east/up-metrics": "applied" });

    await flaky.stop();
    await commitFiles(repo, {
      "overlays/more.yaml": `apiVersion: berth.dev/v1alpha1
kind: Overlay
metadata: { name: more }
spec:
  application: up
  clusters: [east]
  components:
    metrics: { values: { replicas: 2 } }
`,
    });
    // a webhook push: every index is read again
    rig.reconciler.refreshCharts();
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/dn-metrics": "blocked", "east/up-metrics": "applied" });
    const dn = releaseIn(report, east.name, "dn-metrics");
    expect(dn.reason).toMatch(new RegExp(`^cannot read chart metrics-server from ChartRepository flaky: cannot read ${flaky.url.replaceAll(".", "\\.")}/index\\.yaml: .*ECONNREFUSED.*; the deployed release stays as it is$`));
    expect(dn.records).toEqual([]);
    expect(await helmList(binaries.helm, east, NS)).toEqual([
      { name: "dn-metrics", revision: "1", status: "deployed", chart: "metrics-server-3.12.2" },
      { name: "up-metrics", revision: "2", status: "deployed", chart: "metrics-server-3.12.2" },
    ]);
    expect((await releaseDeployments(east, NS, "up-metrics"))[0]).toMatchObject({ replicas: 2 });
    expect((await releaseDeployments(east, NS, "dn-metrics"))[0]).toMatchObject({ replicas: 1 });
  });
});
