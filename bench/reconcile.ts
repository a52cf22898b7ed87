// First sync and no-op resync of a generated repository on local clusters, with
// the real helm: releases per second, no-op time, helm calls, peak memory.
// Anchor: Flux's published benchmark, 1,000 HelmReleases in 8m12s (~2.03/s, 400 MiB).
// Run: npm run bench:reconcile [-- --releases 200 --clusters 2 --concurrency 6 --helm helm3 --charts 1 --replicas 3 --shards 6]
// --replicas R --shards K: R replicas of `serve --leader-elect --shards K` as users run them
// (bench/serve-process.ts: compiled, the image's node flags, a process each, Leases on the first
// cluster, the Helm worker with Helm 4); spec.shard spreads the clusters (cluster i in shard
// i mod K). Once the replicas hold their share of the shards, the applications are committed:
// the first sync is from that commit until every replica's pass at it has ended, with CPU and
// peak RSS of the replicas' process trees (helm children and workers included), then a no-op
// pass. `--replicas 1 --shards 1` is the same measure of one berth process.
// --charts N: the first N entries of each application run the real metrics-server chart
// (from a Helm HTTP repository on loopback, the test harness's packaged chart) instead of
// a generated worker; the no-op resyncs then also count the repository's requests.
import { parseArgs } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_CONTROLLER_MANAGER_QPS, ensureBinaries, startCluster, type LocalCluster } from "../test/cluster/harness.ts";
import { ensureCharts, startChartRepo, type ChartRepo } from "../test/cluster/charts.ts";
import { createChartFetcher } from "../src/adapters/charts/fetcher.ts";
import { createChartSources } from "../src/adapters/charts/sources.ts";
import { commitFiles, createBareRepo } from "../test/support/git.ts";
import { createLogger } from "../src/log.ts";
import { createReconciler } from "../src/reconcile/loop.ts";
import { defaultRenderer } from "../src/cli/reconciler-flags.ts";
import { openSource } from "../src/reconcile/source.ts";
import { compileBerth, SERVE_COMMAND, startServe, type ServeProcess } from "./serve-process.ts";
import { until } from "../test/support/until.ts";
import { sampler as treeSampler, usage } from "./peer/proc.ts";

const { values } = parseArgs({
  options: {
    releases: { type: "string", default: "200" },
    clusters: { type: "string", default: "2" },
    concurrency: { type: "string", default: "6" },
    helm: { type: "string", default: "helm" },
    charts: { type: "string", default: "0" },
    replicas: { type: "string", default: "1" },
    shards: { type: "string", default: "0" },
  },
});
const REPLICAS = Number(values.replicas);
const SHARDS = Number(values.shards) || REPLICAS;
/** --replicas or --shards given: `serve` processes on Leases (else one reconciler in this process). */
const PROCESSES = REPLICAS > 1 || Number(values.shards) > 0;
if (!Number.isInteger(REPLICAS) || REPLICAS < 1) throw new Error(`--replicas ${values.replicas}: a whole number of at least 1`);
const RELEASES = Number(values.releases);
const CLUSTERS = Number(values.clusters);
const PER_APP = 5;
const CHARTS = Number(values.charts);
if (!Number.isInteger(CHARTS) || CHARTS < 0 || CHARTS > PER_APP) throw new Error(`--charts ${values.charts}: a whole number from 0 to ${PER_APP}`);
const FLUX_PER_SEC = 1000 / (8 * 60 + 12);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);

const binaries = await ensureBinaries();
const helm = values.helm === "helm3" ? binaries.helm3 : binaries.helm;
const base = await mkdtemp(join(tmpdir(), "berth-bench-"));
const names = ["east", "west", "north", "south", "up", "down", "left", "right"].slice(0, CLUSTERS);
process.stderr.write(`starting ${CLUSTERS} local clusters...\n`);
const clusters: LocalCluster[] = await Promise.all(names.map((name) => startCluster({ name, binaries, baseDir: base, persistentVolumes: 0, controllerManagerQps: BENCH_CONTROLLER_MANAGER_QPS })));
let chartRepo: ChartRepo | undefined;

/** The first sync and a no-op of R `serve --shards K` processes (see the top of this file). */
async function replicasRun(files: Record<string, string>, repo: Awaited<ReturnType<typeof createBareRepo>>, total: number): Promise<void> {
  await compileBerth((m) => process.stderr.write(`${m}\n`));
  const apps = Object.fromEntries(Object.entries(files).filter(([p]) => p.startsWith("apps/")));
  const rest = Object.fromEntries(Object.entries(files).filter(([p]) => !p.startsWith("apps/")));
  const first = await commitFiles(repo, rest, { message: "clusters and components" });
  const replicas: ServeProcess[] = [];
  const trees = () => replicas.map((r) => r.tree);
  const s = treeSampler(trees);
  type Run = { revision?: string; helmCalls: number; durationMs: number; endedAt?: string; clusters: Array<{ cluster: string; error?: string; releases: Array<{ name: string; outcome: string; reason: string }> }> };
  type Ready = { shards?: number[] };
  try {
    for (let r = 0; r < REPLICAS; r++) {
      replicas.push(
        await startServe(
          [
            "--source", repo.url, "--cache-dir", join(base, `cache-${r}`), "--helm", helm,
            "--helm-worker", values.helm === "helm3" ? "" : binaries.helmWorker,
            "--concurrency", values.concurrency!, "--helm-timeout", "300", "--interval", "1", "--drift-interval", "0",
            "--kubeconfig-dir", base, "--leader-elect", "--shards", String(SHARDS), "--lease-identity", `bench-${r}`,
            "--lease-kubeconfig", clusters[0]!.kubeconfigPath, "--lease-namespace", "default",
          ],
          join(base, `replica-${r}.err`),
        ),
      );
    }
    const share = Math.ceil(SHARDS / REPLICAS);
    const held = await until("the replicas to hold their share of the shards", async () => {
      const ready = await Promise.all(replicas.map((r) => r.get<Ready>("/readyz").then((x) => x?.shards ?? [])));
      const n = ready.reduce((a, x) => a + x.length, 0);
      return n === SHARDS && ready.every((x) => x.length <= share) ? ready : undefined;
    }, 120_000, 250);
    const acting = replicas.filter((_, i) => held[i]!.length > 0);
    await until("every replica's first pass", async () => ((await Promise.all(acting.map((r) => r.get<Run>("/api/v1/runs/latest")))).every((x) => x?.revision === first) ? true : undefined), 120_000, 250);
    s.reset();
    const cpu0 = usage(trees()).cpu;
    const t = Date.now();
    const sha = await commitFiles(repo, apps, { message: "applications" });
    // each replica's first pass at the commit, kept when first seen: one done early runs no-op passes while the others work
    const ends = new Map<number, number>();
    const firstAt = new Map<number, Run>();
    const runs = await until("every replica's pass at the applications' commit", async () => {
      const now = await Promise.all(acting.map((r) => r.get<Run>("/api/v1/runs/latest")));
      now.forEach((x, i) => {
        if (x?.revision !== sha || firstAt.has(i)) return;
        firstAt.set(i, x);
        ends.set(i, Date.now());
      });
      return firstAt.size === acting.length ? acting.map((_, i) => firstAt.get(i)!) : undefined;
    }, 1_800_000, 200);
    const firstMs = Date.now() - t;
    const cpu = usage(trees()).cpu - cpu0;
    const peak = s.peakBytes;
    const peakChildren = s.peakChildBytes;
    const outcomes = runs.flatMap((r) => r.clusters.flatMap((c) => c.releases.map((x) => x.outcome)));
    const applied = outcomes.filter((o) => o === "applied").length;
    if (applied < total) {
      const why = runs.flatMap((r) => r.clusters.flatMap((c) => [...(c.error ? [`${c.cluster}: ${c.error}`] : []), ...c.releases.filter((x) => x.outcome !== "applied").map((x) => `${c.cluster}/${x.name}: ${x.outcome} ${x.reason}`)]));
      throw new Error(`first sync applied ${applied} of ${total} releases:\n${why.slice(0, 5).join("\n")}`);
    }
    const noop = await until("every replica's next pass", async () => {
      const now = await Promise.all(acting.map((r) => r.get<Run>("/api/v1/runs/latest")));
      return now.every((x, i) => x && x.endedAt !== runs[i]!.endedAt) ? (now as Run[]) : undefined;
    }, 120_000, 100);
    const helmCalls = runs.reduce((n, r) => n + r.helmCalls, 0);
    console.log(`releases: ${total} (${Object.keys(apps).length} applications x ${PER_APP} components, chained by dependsOn, x ${CLUSTERS} clusters); ${values.helm === "helm3" ? "Helm 3, a helm process per call" : "Helm 4 through the Helm worker"}; concurrency ${values.concurrency} per cluster; ${REPLICAS} replica(s) of \`${SERVE_COMMAND} --leader-elect --shards ${SHARDS}\``);
    console.log(`first sync: ${(firstMs / 1000).toFixed(1)} s from the commit, ${applied}/${total} applied, ${(applied / (firstMs / 1000)).toFixed(2)} releases/s, ${helmCalls} helm calls`);
    console.log(
      `per replica: ${acting.map((r, i) => `bench-${replicas.indexOf(r)} shards ${held[replicas.indexOf(r)]!.join("+")} (${runs[i]!.clusters.map((c) => c.cluster).join("+")}) done ${((ends.get(i)! - t) / 1000).toFixed(1)} s`).join("; ")}`,
    );
    console.log(`CPU of the replicas' process trees (helm children and workers included): ${cpu.toFixed(1)} s over ${(firstMs / 1000).toFixed(1)} s wall (${(cpu / applied).toFixed(3)} s per release); load average at the end ${loadavg()[0]!.toFixed(1)}`);
    console.log(`peak RSS of the replicas' process trees: ${mib(peak)} MiB (of which helm children / workers ${mib(peakChildren)} MiB)`);
    console.log(`no-op pass: ${Math.max(...noop.map((r) => r.durationMs))} ms (the slowest replica), ${noop.reduce((n, r) => n + r.helmCalls, 0)} helm calls`);
  } finally {
    s.stop();
    await Promise.all(replicas.map((r) => r.stop()));
  }
}

try {
  const files: Record<string, string> = {};
  clusters.forEach((c, i) => {
    // with replicas, spec.shard spreads the clusters evenly (a hash of six names rarely does)
    const shard = PROCESSES ? `  shard: ${i % SHARDS}\n` : "";
    files[`clusters/${c.name}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${c.name} }\nspec:\n  kubeconfig: { path: ${c.kubeconfigPath}, context: ${c.name} }\n${shard}`;
  });
  const apps = Math.ceil(RELEASES / CLUSTERS / PER_APP);
  if (CHARTS > 0) {
    const charts = await ensureCharts(binaries);
    chartRepo = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.12.2"]!, charts["metrics-server@3.13.1"]!] });
    files["repositories/sigs.yaml"] = `apiVersion: berth.dev/v1alpha1\nkind: ChartRepository\nmetadata: { name: sigs }\nspec: { url: "${chartRepo.url}" }\n`;
    // the chart's APIService and aggregated-reader ClusterRole have one name per cluster, so only
    // one release could create them: these many create neither (no APIService, no RBAC)
    files["components/metrics-server.yaml"] = `apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: metrics-server }\nspec:\n  chart: { repository: sigs, name: metrics-server, versions: ">=3.12.0 <4" }\n  values: { args: [--kubelet-insecure-tls], apiService: { create: false }, rbac: { create: false } }\n`;
  }
  for (let i = CHARTS; i < PER_APP; i++) {
    files[`components/c${i}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: c${i} }\nspec:\n  version: 1.0.0\n  workload: worker\n  container: { image: registry.example.com/bench/c${i} }\n`;
  }
  for (let a = 0; a < apps; a++) {
    const entries = Array.from(
      { length: PER_APP },
      (_, i) => `    - { name: c${i}, component: ${i < CHARTS ? "metrics-server" : `c${i}`}, version: "${i < CHARTS ? "^3.12.0" : "^1.0.0"}"${i > 0 ? `, dependsOn: [c${i - 1}]` : ""} }`,
    );
    files[`apps/a${a}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a${a} }\nspec:\n  namespace: bench-a${a}\n  components:\n${entries.join("\n")}\n`;
  }
  const repo = await createBareRepo({ baseDir: base });
  if (!PROCESSES) await commitFiles(repo, files);
  const total = apps * PER_APP * CLUSTERS;

  if (PROCESSES) {
    await replicasRun(files, repo, total);
  } else {
  const cacheDir = join(base, "cache");
  const source = await openSource(repo.url, { cacheDir: join(cacheDir, "sources") });
  const chartSources = createChartSources({ fetcher: createChartFetcher({ cacheDir: join(cacheDir, "charts", "pulled") }), credentialDirs: [] });
  const served = () => chartRepo?.requests.length ?? 0;
  const reconciler = (dir: string) =>
    createReconciler({
      source,
      renderer: defaultRenderer,
      log: createLogger({ level: "error" }),
      cacheDir: dir,
      helmBinary: helm,
      concurrency: Number(values.concurrency),
      helmTimeoutMs: 300_000,
      // The clusters' kubeconfigs are under `base`, the operator's directory here.
      kubeconfig: { dirs: [base], deny: [{ dir: dir, what: "berth's cache dir" }], allowExec: false },
      charts: chartSources,
    });
  const rec = reconciler(cacheDir);

  peakRss = 0;
  const cpu0 = process.cpuUsage();
  let t = Date.now();
  const first = await rec.runOnce();
  const firstMs = Date.now() - t;
  const cpu = process.cpuUsage(cpu0);
  // berth's own CPU (one event loop per process here): when it nears the wall time, that loop is what limits a replica
  const ownCpuS = (cpu.user + cpu.system) / 1e6;
  const outcomes = first.clusters.flatMap((c) => c.releases.map((r) => r.outcome));
  const applied = outcomes.filter((o) => o === "applied").length;
  if (applied < total) {
    // A benchmark of a run that did not apply is no figure: say why and stop.
    const why = first.clusters.flatMap((c) => [...(c.error ? [`${c.cluster}: ${c.error}`] : []), ...c.releases.filter((r) => r.outcome !== "applied").map((r) => `${c.cluster}/${r.name}: ${r.outcome} ${r.reason}`)]);
    throw new Error(`first sync applied ${applied} of ${total} releases:\n${why.slice(0, 5).join("\n")}`);
  }
  const firstServed = served();
  t = Date.now();
  const noop = await rec.runOnce();
  const noopMs = Date.now() - t;
  const noopServed = served() - firstServed;
  const perSec = applied / (firstMs / 1000);
  // a push (or the repository's interval passing): the indexes are read again, nothing else
  let pushed: string | undefined;
  if (chartRepo) {
    rec.refreshCharts();
    t = Date.now();
    const run = await rec.runOnce();
    pushed = `${Date.now() - t} ms, ${run.helmCalls} helm calls, ${served() - firstServed - noopServed} chart repository requests`;
  }

  const mix = CHARTS > 0 ? ` (${CHARTS} of them the metrics-server chart: ${apps * CHARTS * CLUSTERS} chart releases)` : "";
  const asked = (n: number) => (chartRepo ? `, ${n} chart repository requests` : "");
  console.log(`releases: ${total} (${apps} applications x ${PER_APP} components${mix}, chained by dependsOn, x ${CLUSTERS} clusters); helm ${values.helm}; concurrency ${values.concurrency} per cluster`);
  console.log(`first sync: ${(firstMs / 1000).toFixed(1)} s, ${applied}/${total} applied, ${perSec.toFixed(2)} releases/s, ${first.helmCalls} helm calls${asked(firstServed)}`);
  console.log(`berth's own CPU in the first sync (helm children not counted): ${ownCpuS.toFixed(1)} s over ${(firstMs / 1000).toFixed(1)} s wall (${((100 * ownCpuS) / (firstMs / 1000)).toFixed(0)}% of one core); load average at the end ${loadavg()[0]!.toFixed(1)}`);
  console.log(`no-op resync: ${noopMs} ms, ${noop.helmCalls} helm calls${asked(noopServed)}`);
  if (pushed) console.log(`no-op resync after a push (indexes read again): ${pushed}`);
  console.log(`peak RSS of berth: ${mib(peakRss)} MiB (helm child processes not included)`);
  console.log(`vs Flux (1,000 HelmReleases in 8m12s = ${FLUX_PER_SEC.toFixed(2)}/s, 400 MiB): ${(perSec / FLUX_PER_SEC).toFixed(2)}x the rate, ${(peakRss / (400 * 1024 * 1024)).toFixed(2)}x the memory`);
  await source.close();
  }
} finally {
  clearInterval(sampler);
  await Promise.all(clusters.map((c) => c.stop()));
  await chartRepo?.stop();
  await rm(base, { recursive: true, force: true });
}
