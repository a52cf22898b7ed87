// metrics-server from a Helm HTTP repository next to what teams had and what
// berth generates: a release first installed with plain `helm install` is
// blocked until its entry says `adopt: true`, then taken over and upgraded;
// and a generated service that `requires` the chart's version and `dependsOn`
// its entry waits for it, is held back while the chart runs a version outside
// its range, and moves with it.
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureCharts, startChartRepo, type ChartRepo, type PackagedCharts } from "../cluster/charts.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { storageLabels } from "./chart-release.ts";
import { chartRepository, chartRig, helmHistory, helmList, metricsServer, outcomes, reasons, releaseDeployments, releaseIn, uninstall, type ChartRig } from "./chart-sources.ts";
import { berth, clusterFiles, tempCacheDir } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;

let charts: PackagedCharts;
let sigs: ChartRepo;

beforeAll(async () => {
  charts = await ensureCharts(binaries);
  sigs = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.12.2"]!, charts["metrics-server@3.13.1"]!] });
});
afterAll(async () => {
  await sigs?.stop();
});

describe("adopting metrics-server first installed with plain helm", () => {
  const NS = "rt-ch-adopt";
  const REL = "ad-metrics";
  let repo: GitFixture;
  let rig: ChartRig;
  const app = (adopt: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ad }
spec:
  namespace: ${NS}
  components:
    - { name: metrics, component: ad-metrics, version: "^3.12.0"${adopt} }
`;

  beforeAll(async () => {
    // what the team ran before berth: the chart by hand, berth's label nowhere
    await execa(binaries.helm, [
      "install", REL, charts["metrics-server@3.12.2"]!, "--namespace", NS, "--create-namespace",
      "--set", "apiService.create=false", "--set", "rbac.create=false", "--set", "replicas=2", "--wait", "--kubeconfig", east.kubeconfig,
    ]);
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "repositories/sigs.yaml": chartRepository("sigs", sigs.url),
      "components/metrics.yaml": metricsServer("ad-metrics", "sigs"),
      "apps/ad.yaml": app(""),
    });
    rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm });
  });
  afterAll(async () => {
    await rig?.close();
    await uninstall(binaries.helm, east, NS, [REL]);
    if (repo) await removeRepo(repo);
  });

  it("without adopt: blocked, untouched, and the reason says how to adopt it", async () => {
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ [`east/${REL}`]: "blocked" });
    const r = releaseIn(report, east.name, REL);
    expect(r.reason).toContain(`release ${REL} in ${NS} exists (revision 1, deployed) but berth does not own it`);
    expect(r.reason).toContain("set `adopt: true` on entry metrics of Application ad");
    expect(report.helmCalls).toBe(0);
    expect(await helmList(binaries.helm, east, NS)).toEqual([{ name: REL, revision: "1", status: "deployed", chart: "metrics-server-3.12.2" }]);
    expect((await storageLabels(east, NS, REL)).map((l) => l["berth.dev/managed"])).toEqual([undefined]);
  });

  it("adopt: true takes it over (labelled as berth's), then upgrades it to 3.13.1 with berth's values; the next pass does nothing", async () => {
    await commitFiles(repo, { "apps/ad.yaml": app(", adopt: true") }, { message: "ad: adopt" });
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ [`east/${REL}`]: "applied" });
    const rec = releaseIn(report, east.name, REL).records;
    expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result])).toEqual([
      ["adopt", "3.12.2", "3.13.1", "succeeded"],
      ["upgrade", "3.12.2", "3.13.1", "succeeded"],
    ]);
    expect(rec[0]!.adopted).toMatchObject({ mode: "label", revision: 1, status: "deployed", chart: { name: "metrics-server", version: "3.12.2" } });
    expect((await helmHistory(binaries.helm, east, NS, REL)).map((h) => [h.revision, h.status, h.chart])).toEqual([
      [1, "superseded", "metrics-server-3.12.2"],
      [2, "deployed", "metrics-server-3.13.1"],
    ]);
    expect((await storageLabels(east, NS, REL)).map((l) => [l.version, l["berth.dev/managed"], l["berth.dev/application"]])).toEqual([
      ["1", "true", "ad"],
      ["2", "true", "ad"],
    ]);
    // berth's values now, not the hand-set replicas=2
    expect((await releaseDeployments(east, NS, REL))[0]).toMatchObject({ replicas: 1, image: "registry.k8s.io/metrics-server/metrics-server:v0.8.1" });

    const again = await rig.pass();
    expect(outcomes(again), reasons(again)).toEqual({ [`east/${REL}`]: "unchanged" });
    expect(again.helmCalls).toBe(0);
  });
});

describe("a generated service that requires the chart component and depends on it", () => {
  const NS = "rt-ch-mix";
  let repo: GitFixture;
  let rig: ChartRig;
  const worker = (version: string, range: string) => `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: mix-worker }
spec:
  version: ${version}
  workload: worker
  container:
    image: registry.example.com/test/mix-worker
  requires: { mix-metrics: "${range}" }
`;
  const app = (metrics: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: mix }
spec:
  namespace: ${NS}
  components:
    - { name: metrics, component: mix-metrics, version: "${metrics}" }
    - { name: worker, component: mix-worker, version: "^1.0.0", dependsOn: [metrics] }
`;

  beforeAll(async () => {
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "repositories/sigs.yaml": chartRepository("sigs", sigs.url),
      "components/metrics.yaml": metricsServer("mix-metrics", "sigs"),
      "components/worker-1.0.0.yaml": worker("1.0.0", "~3.12.0"),
      "apps/mix.yaml": app("~3.12.0"),
    });
    rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm });
  });
  afterAll(async () => {
    await rig?.close();
    await uninstall(binaries.helm, east, NS, ["mix-worker", "mix-metrics"]);
    if (repo) await removeRepo(repo);
  });

  it("`berth validate` reads the chart's versions from the repository and accepts the mix", async () => {
    const prev = process.env.BERTH_CACHE_DIR;
    process.env.BERTH_CACHE_DIR = await tempCacheDir();
    try {
      const v = await berth(["validate", repo.workDir]);
      expect(v.err).toBe("");
      expect(v.code).toBe(0);
      expect(v.out).toMatch(/^ok: 1 component, 1 chart component, 1 application, /);
    } finally {
      if (prev === undefined) delete process.env.BERTH_CACHE_DIR;
      else process.env.BERTH_CACHE_DIR = prev;
    }
  });

  it("installs the chart first, then the service once the chart is healthy", async () => {
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/mix-metrics": "applied", "east/mix-worker": "applied" });
    const [m] = releaseIn(report, east.name, "mix-metrics").records;
    const [w] = releaseIn(report, east.name, "mix-worker").records;
    expect([m!.action, m!.toVersion, w!.action, w!.toVersion]).toEqual(["install", "3.12.2", "install", "1.0.0"]);
    expect(Date.parse(w!.at)).toBeGreaterThanOrEqual(Date.parse(m!.at) + m!.durationMs);
    expect(await helmList(binaries.helm, east, NS)).toEqual([
      { name: "mix-metrics", revision: "1", status: "deployed", chart: "metrics-server-3.12.2" },
      { name: "mix-worker", revision: "1", status: "deployed", chart: "worker-1.0.0" },
    ]);
    expect((await releaseDeployments(east, NS, "mix-worker"))[0]).toMatchObject({ image: "registry.example.com/test/mix-worker:1.0.0" });
  });

  it("a service version that requires a chart version the entry does not allow yet is held back, saying which and where", async () => {
    await commitFiles(repo, { "components/worker-1.1.0.yaml": worker("1.1.0", "^3.13.0") }, { message: "mix-worker 1.1.0" });
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/mix-metrics": "unchanged", "east/mix-worker": "blocked" });
    expect(releaseIn(report, east.name, "mix-worker").reason).toMatch(
      /^requires mix-metrics "\^3\.13\.0" on cluster east; found mix-metrics at 3\.12\.2 \(components\/worker-1\.1\.0\.yaml:\d+:\d+ spec\.requires\.mix-metrics\)$/,
    );
    expect(report.helmCalls).toBe(0);
    expect((await helmList(binaries.helm, east, NS)).map((r) => [r.name, r.revision, r.chart])).toEqual([
      ["mix-metrics", "1", "metrics-server-3.12.2"],
      ["mix-worker", "1", "worker-1.0.0"],
    ]);
  });

  it("widening the chart's range: the chart moves to 3.13.1 first, then the service to 1.1.0, in one pass", async () => {
    await commitFiles(repo, { "apps/mix.yaml": app("^3.12.0") }, { message: "mix: metrics ^3.12.0" });
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/mix-metrics": "applied", "east/mix-worker": "applied" });
    const [m] = releaseIn(report, east.name, "mix-metrics").records;
    const [w] = releaseIn(report, east.name, "mix-worker").records;
    expect([m!.action, m!.fromVersion, m!.toVersion, m!.result]).toEqual(["upgrade", "3.12.2", "3.13.1", "succeeded"]);
    expect([w!.action, w!.fromVersion, w!.toVersion, w!.result]).toEqual(["upgrade", "1.0.0", "1.1.0", "succeeded"]);
    expect(Date.parse(w!.at)).toBeGreaterThanOrEqual(Date.parse(m!.at) + m!.durationMs);
    expect((await releaseDeployments(east, NS, "mix-worker"))[0]).toMatchObject({ image: "registry.example.com/test/mix-worker:1.1.0" });
  });
});
