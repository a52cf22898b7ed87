// Resolve time of 200 chart releases (100 applications x the metrics-server
// chart x 2 clusters; one cluster narrowed to 3.12.x by an overlay) against a
// Helm HTTP repository on loopback serving the real chart (3.12.2, 3.13.1,
// packaged from its Go module zip by the test harness). Four loads:
//   cold      empty archive cache: one index read, one pull per picked version
//   warm      same process, inside the repository's interval: no request at all
//   push      after refresh() (a webhook push): the index read again, nothing pulled
//   restart   a new process's sources over the same disk cache: one index read, no pull
// beside the same load without chart sources, and the pure resolve on its own.
// Run: npm run bench:charts [-- --apps 100]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createChartFetcher } from "../src/adapters/charts/fetcher.ts";
import { createChartSources, type ChartSources } from "../src/adapters/charts/sources.ts";
import { loadRepo } from "../src/model/load.ts";
import type { Repo } from "../src/model/types.ts";
import { resolveReleases } from "../src/render/resolve.ts";
import { ensureBinaries } from "../test/cluster/harness.ts";
import { ensureCharts, startChartRepo } from "../test/cluster/charts.ts";

const { values } = parseArgs({ options: { apps: { type: "string", default: "100" } } });
const APPS = Number(values.apps);
const CLUSTERS = ["east", "west"];

function generate(root: string, url: string): void {
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const c of CLUSTERS) write(`clusters/${c}.yaml`, `apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${c}, labels: { env: prod } }\nspec: {}\n`);
  write("repositories/sigs.yaml", `apiVersion: berth.dev/v1alpha1\nkind: ChartRepository\nmetadata: { name: sigs }\nspec: { url: "${url}", interval: 10m }\n`);
  write(
    "components/metrics-server.yaml",
    `apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: metrics-server }\nspec:\n  chart: { repository: sigs, name: metrics-server, versions: ">=3.12.0 <4" }\n  values: { args: [--kubelet-insecure-tls] }\n`,
  );
  for (let a = 0; a < APPS; a++) {
    write(
      `apps/a${a}.yaml`,
      `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a${a} }\nspec:\n  namespace: a${a}\n  components:\n    - { name: metrics, component: metrics-server, version: "^3.12.0", values: { replicas: ${1 + (a % 3)} } }\n  placement: { clusterSelector: { env: prod } }\n`,
    );
    write(
      `overlays/a${a}-east.yaml`,
      `apiVersion: berth.dev/v1alpha1\nkind: Overlay\nmetadata: { name: a${a}-east }\nspec:\n  application: a${a}\n  clusters: [east]\n  components:\n    metrics: { version: "~3.12.0", values: { resources: { requests: { cpu: 50m } } } }\n`,
    );
  }
}

const binaries = await ensureBinaries();
const charts = await ensureCharts(binaries);
const repo = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.12.2"]!, charts["metrics-server@3.13.1"]!] });
const root = mkdtempSync(join(tmpdir(), "berth-bench-charts-"));
const cacheDir = join(root, ".cache");
const newSources = (dir = cacheDir) => createChartSources({ fetcher: createChartFetcher({ cacheDir: dir }), credentialDirs: [] });
const served = () => repo.requests.length;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Loads `runs` times (each after `before`), printing the median time and what the last load asked of the repository. */
async function timedLoad(label: string, runs: number, sources: () => ChartSources): Promise<Repo> {
  const times: number[] = [];
  let loaded: Repo | undefined;
  let asked = "";
  for (let i = 0; i < runs; i++) {
    const s = sources();
    const before = { ...s.fetcher.requests };
    const http = served();
    const t = performance.now();
    loaded = await loadRepo(root, { charts: s });
    times.push(performance.now() - t);
    const r = s.fetcher.requests;
    asked = `index reads ${r.index - before.index}, pulls ${r.pull - before.pull}, HTTP requests ${served() - http}`;
  }
  console.log(`${label.padEnd(8)} ${median(times).toFixed(0).padStart(5)} ms  (median of ${runs}; each load: ${asked})`);
  return loaded!;
}

try {
  generate(root, repo.url);
  // warm-up (JIT, schemas, the chart path) with a cache of its own, so "cold" below starts empty
  await loadRepo(root);
  await loadRepo(root, { charts: newSources(join(root, ".warm-up")) });
  const baseline: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await loadRepo(root);
    baseline.push(performance.now() - t);
  }
  console.log(`${APPS * CLUSTERS.length} chart releases (${APPS} applications x metrics-server x ${CLUSTERS.length} clusters); load + validate + pin:`);
  console.log(`no chart sources ${median(baseline).toFixed(0).padStart(5)} ms  (median of 3; every release unavailable, nothing read)`);
  const sources = newSources();
  await timedLoad("cold", 1, () => sources);
  const loaded = await timedLoad("warm", 5, () => sources);
  await timedLoad("push", 3, () => {
    sources.refresh();
    return sources;
  });
  await timedLoad("restart", 3, () => newSources());
  const resolveTimes: number[] = [];
  let releases = resolveReleases({ ...loaded });
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    releases = resolveReleases({ ...loaded }); // a copy: the loader's memo of this repository is not reused
    resolveTimes.push(performance.now() - t);
  }
  const resolveMs = median(resolveTimes);
  const byVersion = new Map<string, number>();
  for (const r of releases) byVersion.set(`${r.cluster} ${r.chart.version}`, (byVersion.get(`${r.cluster} ${r.chart.version}`) ?? 0) + 1);
  console.log(`resolve  ${resolveMs.toFixed(1).padStart(5)} ms  (median of 5, pure: version pick, values merge, digest) = ${((resolveMs * 1000) / releases.length).toFixed(0)} µs per release`);
  console.log(`picked   ${[...byVersion].map(([k, n]) => `${k} x${n}`).join(", ")}; unavailable: ${releases.filter((r) => r.unavailable).length}`);
} finally {
  await repo.stop();
  rmSync(root, { recursive: true, force: true });
}
