// berth side by side with Flux (helm-controller v1.4.0 + source-controller
// v1.7.0, built by bench/peer/build.sh, run as local processes) on this
// machine: the same generated `worker` chart with the same values, served by
// a Helm HTTP repository on loopback, N releases without dependencies, a
// fresh local cluster per system and run, runs interleaved. Per system: wall
// time and releases/s of install, no-op resync and upgrade (one env var
// added); controller CPU seconds (helm children and workers included) and
// peak RSS (children included). Flux is measured by its HelmReleases
// (Ready=True at the current generation; status.lastHandledReconcileAt for
// the resync). The last line is one JSON object of berth's advantages (Flux's
// figure / berth's, medians over the runs).
//
// berth runs as `node <the Dockerfile ENTRYPOINT flags> .bench-dist/main.js serve`, compiled first.
//
// With --floor, a third system runs beside them: no Helm and no release
// storage, only a server-side apply of each release's rendered objects and a
// wait for its rollout, C releases at a time. What it takes is the cluster's
// own work, which any deployer pays: the fastest any system could be here.
//
// With --helm-alone, a fourth: Helm 4's SDK alone (the Helm worker berth
// runs, driven straight from this process: upgrade --install --wait of each
// release, its storage and its wait, C at a time), with no reconciler around
// it. What it takes is what any deployer that keeps Helm's release storage
// and wait pays here, berth's own work left out.
//
// Run: npm run bench:peer -- --releases 200 --concurrency 4 --runs 2 [--helm-path worker|process] [--only berth|flux|floor|helm] [--floor] [--helm-alone] [--keep]
import { parseArgs } from "node:util";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import * as k8s from "@kubernetes/client-node";
import { stringify } from "yaml";
import { BENCH_CONTROLLER_MANAGER_QPS, ensureBinaries, startCluster, type Binaries, type LocalCluster } from "../../test/cluster/harness.ts";
import { startChartRepo, type ChartRepo } from "../../test/cluster/charts.ts";
import { freePorts } from "../../test/cluster/ports.ts";
import { commitFiles, createBareRepo } from "../../test/support/git.ts";
import { loadRepo } from "../../src/model/load.ts";
import { outputFiles, renderRepo } from "../../src/render/output.ts";
import { sampler, usageEach, type Tree } from "./proc.ts";
import { compileBerth, SERVE_COMMAND, startServe } from "../serve-process.ts";
import { until } from "../../test/support/until.ts";
import { readState } from "../../test/cluster/state.ts";
import { loadKubeConfig } from "../../src/adapters/kube.ts";
import { createHelm } from "../../src/adapters/helm.ts";
import { createLogger } from "../../src/log.ts";
import type { JsonObject } from "../../src/model/types.ts";

const { values: flags } = parseArgs({
  options: {
    releases: { type: "string", default: "200" },
    concurrency: { type: "string", default: "4" },
    runs: { type: "string", default: "2" },
    "helm-path": { type: "string", default: "worker" },
    only: { type: "string" },
    floor: { type: "boolean", default: false },
    "helm-alone": { type: "boolean", default: false },
    // keep each run's directory: berth's log, the clusters' data
    keep: { type: "boolean", default: false },
    "controller-manager-qps": { type: "string", default: String(BENCH_CONTROLLER_MANAGER_QPS) },
    // the API requests of the upgrade by verb and resource, most first
    requests: { type: "boolean", default: false },
    // a 15 s CPU profile of kube-apiserver taken from the upgrade's start, written to this directory
    "apiserver-profile": { type: "string" },
  },
});
const N = Number(flags.releases);
const C = Number(flags.concurrency);
const RUNS = Number(flags.runs);
const PER_APP = 5;
if (!Number.isInteger(N) || N < PER_APP || N % PER_APP !== 0) throw new Error(`--releases ${flags.releases}: a multiple of ${PER_APP}`);
if (!Number.isInteger(C) || C < 1) throw new Error(`--concurrency ${flags.concurrency}: a whole number >= 1`);
if (flags["helm-path"] !== "worker" && flags["helm-path"] !== "process") throw new Error("--helm-path: worker or process");
const KCM_QPS = Number(flags["controller-manager-qps"]);
if (!(KCM_QPS > 0)) throw new Error(`--controller-manager-qps ${flags["controller-manager-qps"]}: a number > 0 (kube-controller-manager's own default is 20)`);
const APPS = N / PER_APP;
const NS = "flux-system";
const here = new URL(".", import.meta.url).pathname;

type Phase = "install" | "noop" | "upgrade";
interface Figures {
  wallS: Record<Phase, number>;
  /** CPU seconds of the install, children included. */
  installCpuS: number;
  /** CPU seconds of the cluster's processes during the install, by component. */
  clusterInstallCpuS: Record<string, number>;
  peakBytes: number;
  detail: string;
}
// A figure a system has not (the floor's no-op, CPU and RSS: its deployer is the bench process) is NaN, and not printed.

const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
const say = (m: string) => process.stderr.write(`${m}\n`);

/** The generated `worker` chart, packaged, and the release values before and after the upgrade (one env var added). */
async function workerChart(binaries: Binaries, base: string) {
  const defs = join(base, "defs");
  const files: Record<string, string> = {
    "clusters/east.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: east }\nspec: {}\n",
    "components/worker.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: worker }\nspec:\n  version: 1.0.0\n  workload: worker\n  container: { image: registry.example.com/bench/worker }\n",
    "apps/a0.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a0 }\nspec:\n  namespace: bench-a0\n  components:\n    - { name: c0, component: worker, version: \"^1.0.0\" }\n",
  };
  for (const [p, text] of Object.entries(files)) {
    await mkdir(join(defs, p, ".."), { recursive: true });
    await writeFile(join(defs, p), text);
  }
  const rendered = renderRepo(await loadRepo(defs, {}));
  const chart = rendered.charts.find((c) => c.name === "worker");
  const release = rendered.releases[0];
  if (!chart || !release) throw new Error("the worker chart did not render");
  const out = join(base, "chart");
  for (const [p, text] of Object.entries(outputFiles({ ...rendered, releases: [] }))) {
    if (!p.startsWith("charts/worker/")) continue;
    await mkdir(join(out, p, ".."), { recursive: true });
    await writeFile(join(out, p), text);
  }
  await execa(binaries.helm, ["package", join(out, "charts", "worker"), "--destination", join(base, "packaged")]);
  // the values berth gives the release, minus what names the cluster and entry (a Flux release gets the same)
  const v1 = JSON.parse(JSON.stringify(release.values)) as Record<string, unknown>;
  const v2 = { ...v1, env: { ...((v1.env as Record<string, string> | undefined) ?? {}), BENCH_UPGRADE: "1" } };
  return { tgz: join(base, "packaged", "worker-1.0.0.tgz"), v1, v2 };
}

/**
 * What a phase cost, between start() and end(): CPU seconds of the system's
 * process trees and of each of the cluster's processes (kube-apiserver,
 * etcd, ...), and the requests the API server served (its
 * apiserver_request_total, whoever asked: the system and the cluster's own
 * controllers).
 */
async function meter(binaries: Binaries, cluster: LocalCluster, trees: () => Tree[]) {
  const state = await readState(cluster.dataDir);
  if (state === undefined) throw new Error(`no state.json in ${cluster.dataDir}`);
  const requests = async () => {
    const text = (await execa(binaries.kubectl, ["--kubeconfig", cluster.kubeconfigPath, "get", "--raw", "/metrics"])).stdout;
    let n = 0;
    const by = new Map<string, number>();
    for (const m of text.matchAll(/^apiserver_request_total\{([^}]*)\} (\S+)$/gm)) {
      n += Number(m[2]);
      const label = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(m[1]!)?.[1] ?? "";
      const key = `${label("verb")} ${label("resource")}${label("subresource") ? `/${label("subresource")}` : ""}`;
      by.set(key, (by.get(key) ?? 0) + Number(m[2]));
    }
    return { n, by };
  };
  const components = Object.entries(state.pids);
  const now = async () => {
    const system = trees();
    // one read of /proc: the system's trees, then each cluster component
    const u = usageEach([...system, ...components.map(([, pid]) => ({ root: pid, keep: () => true }))]);
    const mine = u.slice(0, system.length);
    return {
      system: mine.reduce((n, x) => n + x.cpu, 0),
      children: mine.reduce((n, x) => n + x.childCpu, 0),
      cluster: Object.fromEntries(components.map(([c], i) => [c, u[system.length + i]!.cpu])),
      ...(await requests().then((r) => ({ requests: r.n, requestsBy: r.by }))),
    };
  };
  return {
    async start() {
      const a = await now();
      return async () => {
        const b = await now();
        return {
          cpu: b.system - a.system,
          childCpu: b.children - a.children,
          cluster: Object.fromEntries(Object.entries(b.cluster).map(([c, v]) => [c, v - (a.cluster[c] ?? 0)])),
          // less the /metrics read itself
          requests: b.requests - a.requests - 1,
          requestsBy: [...b.requestsBy].map(([k, v]) => [k, v - (a.requestsBy.get(k) ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]),
        };
      };
    },
  };
}

/** The cluster's side of the install and the upgrade, for a run's detail line. */
type Cost = { cluster: Record<string, number>; requests: number; requestsBy: ReadonlyArray<readonly [string, number]> };
const clusterCost = (install: Cost, upgrade: Cost) =>
  `cluster CPU in the install ${clusterText(install.cluster)}, upgrade ${clusterText(upgrade.cluster)}; ` +
  `API requests per release ${(install.requests / N).toFixed(1)} in the install, ${(upgrade.requests / N).toFixed(1)} in the upgrade` +
  (flags.requests ? ` (${upgrade.requestsBy.slice(0, 20).map(([k, v]) => `${k} ${(v / N).toFixed(2)}`).join(", ")})` : "");

/** With --apiserver-profile: a CPU profile of kube-apiserver over the next 15 s, written beside the others. */
const profileApiserver = (cluster: LocalCluster, name: string) => {
  const dir = flags["apiserver-profile"];
  if (dir === undefined) return Promise.resolve();
  return mkdir(dir, { recursive: true }).then(() =>
    execa(binaries.kubectl, ["--kubeconfig", cluster.kubeconfigPath, "get", "--raw", "/debug/pprof/profile?seconds=15"], { encoding: "buffer" }).then((r) =>
      writeFile(join(dir, `${name}.pprof`), r.stdout),
    ),
  );
};

const clusterText = (c: Record<string, number>) => {
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  return `${total.toFixed(1)} s (${Object.entries(c).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")})`;
};

/**
 * berth as its users run it: `node dist/main.js serve` (compiled, as the image
 * runs it) in its own process, polling git every second. The clock starts at
 * the commit, as Flux's starts at the apply of its HelmReleases, and stops
 * when /api/v1/runs/latest reports the pass at that commit; the no-op is the
 * next pass at the same commit.
 */
async function runBerth(binaries: Binaries, cluster: LocalCluster, repo: ChartRepo, v: { v1: object; v2: object }, base: string): Promise<Figures> {
  const component = (values: object) =>
    `apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: worker }\nspec:\n  chart: { repository: peer, name: worker, versions: "1.0.0" }\n  values: ${JSON.stringify(values)}\n`;
  const git = await createBareRepo({ baseDir: join(base, "git") });
  const first = await commitFiles(git, {
    "clusters/east.yaml": `apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: east }\nspec:\n  kubeconfig: { path: ${cluster.kubeconfigPath}, context: ${cluster.name} }\n`,
    "repositories/peer.yaml": `apiVersion: berth.dev/v1alpha1\nkind: ChartRepository\nmetadata: { name: peer }\nspec: { url: "${repo.url}" }\n`,
    "components/worker.yaml": component(v.v1),
  });
  const apps: Record<string, string> = {};
  for (let a = 0; a < APPS; a++) {
    const entries = Array.from({ length: PER_APP }, (_, i) => `    - { name: c${i}, component: worker, version: "1.0.0" }`);
    apps[`apps/a${a}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a${a} }\nspec:\n  namespace: bench-a${a}\n  components:\n${entries.join("\n")}\n`;
  }
  const berth = await startServe(
    [
      "--source", git.url, "--cache-dir", join(base, "cache"), "--helm", binaries.helm,
      "--helm-worker", flags["helm-path"] === "worker" ? binaries.helmWorker : "",
      "--concurrency", String(C), "--helm-timeout", "300", "--interval", "1", "--drift-interval", "0",
      "--kubeconfig-dir", cluster.dataDir, "--kubeconfig-dir", base,
    ],
    join(base, "berth.err"),
  );
  const trees = (): Tree[] => [berth.tree];
  const s = sampler(trees);
  const m = await meter(binaries, cluster, trees);
  try {
    type Run = { revision?: string; helmCalls: number; durationMs: number; endedAt?: string; clusters: Array<{ error?: string; releases: Array<{ name: string; outcome: string; reason: string }> }> };
    const pass = (what: string, done: (r: Run) => boolean): Promise<Run> =>
      until(`berth ${what}: the pass`, async () => {
        const r = await berth.get<Run>("/api/v1/runs/latest");
        return r && done(r) ? r : undefined;
      }, 900_000, 100);
    const applied = (r: Run) => r.clusters.flatMap((c) => c.releases).filter((x) => x.outcome === "applied").length;
    const check = (what: string, r: Run, want: number) => {
      if (applied(r) === want) return;
      const why = r.clusters.flatMap((c) => [...(c.error ? [c.error] : []), ...c.releases.filter((x) => x.outcome !== "applied" && x.outcome !== "unchanged").map((x) => `${x.name}: ${x.outcome} ${x.reason}`)]);
      throw new Error(`berth ${what}: applied ${applied(r)} of ${want}\n${why.slice(0, 5).join("\n")}`);
    };
    await pass("start", (r) => r.revision === first);
    const timed = async (what: "install" | "upgrade", files: Record<string, string>) => {
      const end = await m.start();
      const t = Date.now();
      const sha = await commitFiles(git, files, { message: what });
      const r = await pass(what, (x) => x.revision === sha);
      const wall = (Date.now() - t) / 1000;
      check(what, r, N);
      return { wall, ...(await end()), run: r };
    };
    s.reset();
    const install = await timed("install", apps);
    const noop = await pass("no-op", (r) => r.endedAt !== install.run.endedAt);
    check("no-op", noop, 0);
    const profiled = profileApiserver(cluster, `berth-upgrade-${Date.now()}`);
    const helmCalls = async () => {
      const text = await fetch(`${berth.url}/metrics`).then((r) => r.text());
      const sum = (what: string) => Number(new RegExp(`^berth_helm_call_duration_seconds_${what}\\{[^}]*verb="upgrade"[^}]*\\} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
      return { n: sum("count"), s: sum("sum") };
    };
    const before = await helmCalls();
    const upgrade = await timed("upgrade", { "components/worker.yaml": component(v.v2) });
    const after = await helmCalls();
    const perCall = (after.s - before.s) / (after.n - before.n);
    await profiled;
    return {
      wallS: { install: install.wall, noop: noop.durationMs / 1000, upgrade: upgrade.wall },
      installCpuS: install.cpu,
      clusterInstallCpuS: install.cluster,
      peakBytes: s.peakBytes,
      detail: `of the CPU, helm children / the worker ${install.childCpu.toFixed(1)} s in the install, ${upgrade.childCpu.toFixed(1)} s in the upgrade; ${clusterCost(install, upgrade)}; the pass itself ${(install.run.durationMs / 1000).toFixed(1)} s in the install, ${(upgrade.run.durationMs / 1000).toFixed(1)} s in the upgrade (the rest: seeing the commit); helm calls ${install.run.helmCalls}/${noop.helmCalls}/${upgrade.run.helmCalls}, upgrade CPU ${upgrade.cpu.toFixed(1)} s, a helm call in the upgrade ${perCall.toFixed(2)} s on average, peak RSS of helm children / worker alone ${mib(s.peakChildBytes)} MiB`,
    };
  } finally {
    s.stop();
    await berth.stop();
  }
}

async function runFlux(binaries: Binaries, cluster: LocalCluster, repo: ChartRepo, v: { v1: object; v2: object }, base: string): Promise<Figures> {
  const [hc, sc] = (await execa("bash", [join(here, "build.sh"), "--paths"])).stdout.trim().split("\n") as [string, string];
  const crds = (await execa("bash", [join(here, "build.sh"), "--crds"])).stdout.trim().split("\n");
  const kubectl = (args: string[], input?: string) => execa(binaries.kubectl, ["--kubeconfig", cluster.kubeconfigPath, ...args], input === undefined ? {} : { input });
  for (const d of crds) await kubectl(["apply", "--server-side", "-f", d]);
  const namespaces = [NS, ...Array.from({ length: APPS }, (_, a) => `bench-a${a}`)];
  await kubectl(["apply", "-f", "-"], namespaces.map((n) => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${n} }\n`).join("---\n"));
  await kubectl(["wait", "--for=condition=Established", "crd/helmreleases.helm.toolkit.fluxcd.io", "crd/helmrepositories.source.toolkit.fluxcd.io", "crd/helmcharts.source.toolkit.fluxcd.io"]);

  const [storagePort, scMetrics, scHealth, hcMetrics, hcHealth] = await freePorts(5);
  const storage = join(base, "flux-storage");
  await mkdir(storage, { recursive: true });
  const env = { ...process.env, KUBECONFIG: cluster.kubeconfigPath, RUNTIME_NAMESPACE: NS };
  const logTo = (name: string) => openSync(join(base, `${name}.log`), "w");
  const procs: ChildProcess[] = [
    spawn(sc, [
      `--storage-path=${storage}`, `--storage-addr=127.0.0.1:${storagePort}`, `--storage-adv-addr=127.0.0.1:${storagePort}`,
      `--metrics-addr=127.0.0.1:${scMetrics}`, `--health-addr=127.0.0.1:${scHealth}`, "--enable-leader-election=false", "--events-addr=", "--log-level=error",
    ], { env, stdio: ["ignore", logTo("source-controller"), logTo("source-controller.err")] }),
    spawn(hc, [
      `--metrics-addr=127.0.0.1:${hcMetrics}`, `--health-addr=127.0.0.1:${hcHealth}`, "--enable-leader-election=false", "--events-addr=", "--log-level=error", `--concurrent=${C}`,
    ], { env, stdio: ["ignore", logTo("helm-controller"), logTo("helm-controller.err")] }),
  ];
  const trees = (): Tree[] => procs.map((p) => ({ root: p.pid!, keep: () => true }));
  const s = sampler(trees);
  const m = await meter(binaries, cluster, trees);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  type HR = { metadata: { name: string; generation: number }; status?: { lastHandledReconcileAt?: string; conditions?: { type: string; status: string; observedGeneration?: number; message?: string }[] } };
  const list = async (): Promise<HR[]> =>
    ((await api.listNamespacedCustomObject({ group: "helm.toolkit.fluxcd.io", version: "v2", namespace: NS, plural: "helmreleases" })) as { items: HR[] }).items;
  const ready = (h: HR) => h.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True" && c.observedGeneration === h.metadata.generation) === true;
  const until = async (what: string, done: (h: HR) => boolean, timeoutMs = 900_000) => {
    const t = Date.now();
    for (;;) {
      const items = await list();
      if (items.length === N && items.every(done)) return (Date.now() - t) / 1000;
      if (Date.now() - t > timeoutMs) {
        const stuck = items.filter((h) => !done(h)).slice(0, 3).map((h) => `${h.metadata.name}: ${JSON.stringify(h.status?.conditions ?? [])}`);
        throw new Error(`flux ${what}: ${items.filter(done).length}/${N} after ${timeoutMs / 1000} s\n${stuck.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const releases = (values: object) =>
    [
      { apiVersion: "source.toolkit.fluxcd.io/v1", kind: "HelmRepository", metadata: { name: "peer", namespace: NS }, spec: { url: repo.url, interval: "60m" } },
      ...Array.from({ length: APPS }, (_, a) =>
        Array.from({ length: PER_APP }, (_, i) => ({
          apiVersion: "helm.toolkit.fluxcd.io/v2",
          kind: "HelmRelease",
          metadata: { name: `a${a}-c${i}`, namespace: NS },
          spec: {
            interval: "60m",
            releaseName: `a${a}-c${i}`,
            targetNamespace: `bench-a${a}`,
            storageNamespace: `bench-a${a}`,
            chart: { spec: { chart: "worker", version: "1.0.0", sourceRef: { kind: "HelmRepository", name: "peer", namespace: NS }, interval: "60m" } },
            values,
          },
        })),
      ).flat(),
    ]
      .map((o) => stringify(o))
      .join("---\n");
  const phase = async (what: Phase, act: () => Promise<unknown>, done: (h: HR) => boolean) => {
    const end = await m.start();
    await act();
    const wall = await until(what, done);
    return { wall, ...(await end()) };
  };
  try {
    // both controllers answer /readyz before the clock starts
    for (const port of [scHealth, hcHealth]) {
      for (let i = 0; ; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
        if (ok) break;
        if (i > 120) throw new Error(`a Flux controller is not ready (see ${base}/*.log)`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    s.reset();
    const install = await phase("install", () => kubectl(["apply", "-f", "-"], releases(v.v1)), ready);
    const stamp = new Date().toISOString();
    const noop = await phase(
      "noop",
      () => kubectl(["annotate", "helmreleases", "--all", "-n", NS, `reconcile.fluxcd.io/requestedAt=${stamp}`, "--overwrite"]),
      (h) => h.status?.lastHandledReconcileAt === stamp && ready(h),
    );
    const profiled = profileApiserver(cluster, `flux-upgrade-${Date.now()}`);
    const upgrade = await phase("upgrade", () => kubectl(["apply", "-f", "-"], releases(v.v2)), (h) => h.metadata.generation >= 2 && ready(h));
    await profiled;
    return {
      wallS: { install: install.wall, noop: noop.wall, upgrade: upgrade.wall },
      installCpuS: install.cpu,
      clusterInstallCpuS: install.cluster,
      peakBytes: s.peakBytes,
      detail: `${clusterCost(install, upgrade)}; upgrade CPU ${upgrade.cpu.toFixed(1)} s`,
    };
  } finally {
    s.stop();
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once("exit", r)))));
  }
}

/** The releases berth's applications name (a<A>-c<I> in bench-a<A>), for the systems driven from here. */
const releaseNames = () =>
  Array.from({ length: APPS }, (_, a) => Array.from({ length: PER_APP }, (_, i) => ({ name: `a${a}-c${i}`, ns: `bench-a${a}` }))).flat();

/** Their namespaces, made before the clock (berth makes its own in its pass). */
const createNamespaces = async (kc: k8s.KubeConfig) => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  for (let a = 0; a < APPS; a++) await core.createNamespace({ body: { metadata: { name: `bench-a${a}` } } });
};

/**
 * The floor: each release's objects (rendered by `helm template` before the
 * clock) applied server-side, then waited for as `--wait` does until its
 * Deployment has rolled out (kstatus's Current: observed, all replicas
 * updated and available, no old ones left), C releases at a time. One
 * cluster-wide watch serves every wait. No release storage, no discovery,
 * no chart render.
 */
async function runFloor(binaries: Binaries, cluster: LocalCluster, v: { tgz: string; v1: object; v2: object }, base: string): Promise<Figures> {
  const names = releaseNames();
  await writeFile(join(base, "v1.json"), JSON.stringify(v.v1));
  await writeFile(join(base, "v2.json"), JSON.stringify(v.v2));
  const render = async (values: string) => {
    const out: k8s.KubernetesObject[][] = [];
    for (let i = 0; i < names.length; i += 4) {
      const docs = await Promise.all(names.slice(i, i + 4).map(({ name, ns }) =>
        execa(binaries.helm, ["template", name, v.tgz, "--namespace", ns, "--values", join(base, values)]).then((r) =>
          k8s.loadAllYaml(r.stdout).filter((o): o is k8s.KubernetesObject => o !== null && typeof o === "object").map((o) => ({ ...o, metadata: { ...o.metadata, namespace: ns } })),
        ),
      ));
      out.push(...docs);
    }
    return out;
  };
  const [m1, m2] = [await render("v1.json"), await render("v2.json")];
  const kc = loadKubeConfig({ cluster: cluster.name, kubeconfigPath: cluster.kubeconfigPath });
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  await createNamespaces(kc);

  // each release's Deployment: rolled out at the generation wanted, from one watch
  type D = { metadata: { name: string; namespace: string; generation: number }; spec: { replicas?: number }; status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number } };
  const rolledOut = (d: D) => {
    const want = d.spec.replicas ?? 1;
    const st = d.status ?? {};
    return (st.observedGeneration ?? 0) >= d.metadata.generation && st.updatedReplicas === want && st.availableReplicas === want && st.replicas === want;
  };
  let generationWanted = 1;
  const done = new Set<string>();
  const waiting = new Map<string, () => void>();
  const w = new k8s.Watch(kc);
  const watching = await w.watch("/apis/apps/v1/deployments", {}, (_type, d: D) => {
    const key = `${d.metadata.namespace}/${d.metadata.name}`;
    if (d.metadata.generation < generationWanted || !rolledOut(d)) return;
    done.add(key);
    waiting.get(key)?.();
  }, () => undefined);
  const rollout = (key: string) => (done.has(key) ? Promise.resolve() : new Promise<void>((r) => waiting.set(key, r)));

  // the bench process alone (the cluster's processes are its children too), for the detail line
  const m = await meter(binaries, cluster, () => [{ root: process.pid, keep: () => false }]);
  // as Helm's --wait: a release is applied, then waited for; C releases at a time
  const phase = async (manifests: k8s.KubernetesObject[][]) => {
    const end = await m.start();
    const t = Date.now();
    done.clear();
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => {
      while (next < manifests.length) {
        const i = next++;
        for (const o of manifests[i]!) await objects.patch(o, undefined, undefined, "floor", true, k8s.PatchStrategy.ServerSideApply);
        await rollout(`${names[i]!.ns}/${names[i]!.name}`);
      }
    }));
    return { wall: (Date.now() - t) / 1000, ...(await end()) };
  };
  try {
    const install = await phase(m1);
    generationWanted = 2;
    const profiled = profileApiserver(cluster, `floor-upgrade-${Date.now()}`);
    const upgrade = await phase(m2);
    await profiled;
    return {
      wallS: { install: install.wall, noop: NaN, upgrade: upgrade.wall },
      installCpuS: NaN,
      clusterInstallCpuS: install.cluster,
      peakBytes: NaN,
      detail: `${clusterCost(install, upgrade)}; the bench process's own CPU (apply + watch) ${install.cpu.toFixed(1)} s in the install, ${upgrade.cpu.toFixed(1)} s in the upgrade`,
    };
  } finally {
    watching.abort();
  }
}

/**
 * Helm alone: the Helm worker berth runs (Helm 4's SDK), driven from this
 * process through berth's own HelmClient, upgrade --install --wait of each
 * release from the packaged chart, C at a time; no git, no render, no memos,
 * no reconcile. Its CPU is the worker's and this process's (the driver).
 */
async function runHelmAlone(binaries: Binaries, cluster: LocalCluster, v: { tgz: string; v1: object; v2: object }): Promise<Figures> {
  const names = releaseNames();
  const kc = loadKubeConfig({ cluster: cluster.name, kubeconfigPath: cluster.kubeconfigPath });
  await createNamespaces(kc);
  const calls = { n: 0, ms: 0 };
  const helm = createHelm({
    binary: binaries.helm, worker: binaries.helmWorker, kubeconfig: cluster.kubeconfigPath, log: createLogger({ level: "warn" }),
    onCall: (_verb, ms) => { calls.n++; calls.ms += ms; },
  });
  const trees = (): Tree[] => [{ root: process.pid, keep: (comm) => comm.startsWith("berth-helm-wor") }];
  const s = sampler(trees);
  const m = await meter(binaries, cluster, trees);
  const phase = async (values: object) => {
    const end = await m.start();
    const t = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: C }, async () => {
      while (next < names.length) {
        const { name, ns } = names[next++]!;
        await helm.upgradeInstall({ release: name, namespace: ns, chartDir: v.tgz, values: values as JsonObject, labels: {}, timeoutMs: 300_000 });
      }
    }));
    return { wall: (Date.now() - t) / 1000, ...(await end()) };
  };
  try {
    const install = await phase(v.v1);
    const profiled = profileApiserver(cluster, `helm-upgrade-${Date.now()}`);
    Object.assign(calls, { n: 0, ms: 0 });
    const upgrade = await phase(v.v2);
    const perCall = calls.ms / calls.n / 1000;
    await profiled;
    return {
      wallS: { install: install.wall, noop: NaN, upgrade: upgrade.wall },
      // the worker's own: this process's CPU and memory are the bench's too
      installCpuS: install.childCpu,
      clusterInstallCpuS: install.cluster,
      peakBytes: s.peakChildBytes,
      detail: `${clusterCost(install, upgrade)}; the worker ${install.childCpu.toFixed(1)} s in the install, ${upgrade.childCpu.toFixed(1)} s in the upgrade; upgrade CPU ${upgrade.cpu.toFixed(1)} s (the driver included); a helm call in the upgrade ${perCall.toFixed(2)} s on average`,
    };
  } finally {
    s.stop();
    helm.close?.();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const range = (xs: number[], f: (x: number) => string) => {
  const [lo, hi] = [f(Math.min(...xs)), f(Math.max(...xs))];
  return lo === hi ? lo : `${lo}–${hi}`;
};

const binaries = await ensureBinaries();
const systems = (["berth", "flux", "floor", "helm"] as const).filter((s) =>
  flags.only ? flags.only === s : s === "floor" ? flags.floor : s === "helm" ? flags["helm-alone"] : true,
);
if (systems.includes("berth")) await compileBerth(say);
if (systems.includes("flux")) {
  say("building / finding Flux's controllers (bench/peer/build.sh; 7-9 minutes each the first time)...");
  await execa("bash", [join(here, "build.sh")], { stdout: process.stderr, stderr: process.stderr });
}
const base = await mkdtemp(join(tmpdir(), "berth-peer-"));
const results: Record<"berth" | "flux" | "floor" | "helm", Figures[]> = { berth: [], flux: [], floor: [], helm: [] };
let repo: ChartRepo | undefined;
try {
  const chart = await workerChart(binaries, base);
  repo = await startChartRepo({ helm: binaries.helm, charts: [chart.tgz] });
  for (let run = 0; run < RUNS; run++) {
    // interleaved: berth first on even runs, Flux first on odd ones
    const order = run % 2 === 0 ? systems : [...systems].reverse();
    for (const system of order) {
      const dir = join(base, `${system}-${run}`);
      await mkdir(dir, { recursive: true });
      const cluster = await startCluster({ name: `peer-${system}-${run}`, binaries, baseDir: dir, persistentVolumes: 0, controllerManagerQps: KCM_QPS, profiling: flags["apiserver-profile"] !== undefined });
      try {
        say(`run ${run + 1}/${RUNS}: ${system}, ${N} releases, concurrency ${C}...`);
        const f =
          system === "berth" ? await runBerth(binaries, cluster, repo, chart, dir)
          : system === "flux" ? await runFlux(binaries, cluster, repo, chart, dir)
          : system === "floor" ? await runFloor(binaries, cluster, chart, dir)
          : await runHelmAlone(binaries, cluster, chart);
        results[system].push(f);
        say(`  install ${f.wallS.install.toFixed(1)} s, no-op ${Number.isNaN(f.wallS.noop) ? "(none)" : `${f.wallS.noop.toFixed(2)} s`}, upgrade ${f.wallS.upgrade.toFixed(1)} s, ${Number.isNaN(f.installCpuS) ? "" : `install CPU ${f.installCpuS.toFixed(1)} s, peak ${mib(f.peakBytes)} MiB; `}${f.detail}`);
      } finally {
        await cluster.stop();
      }
    }
  }
} finally {
  await repo?.stop();
  if (flags.keep) say(`kept ${base} (berth's log: <system>-<run>/berth.err, with BERTH_LOG_LEVEL=info)`);
  else await rm(base, { recursive: true, force: true });
}

const path = flags["helm-path"] === "worker" ? "the Helm worker" : "a helm process per call";
console.log(`releases: ${N} (no dependencies), concurrency ${C}, ${RUNS} run(s) per system, interleaved, fresh cluster each (kube-controller-manager --kube-api-qps ${KCM_QPS}); berth on Helm 4 through ${path}, run as \`${SERVE_COMMAND}\`; Flux helm-controller v1.4.0 (Helm 3.19) + source-controller v1.7.0`);
const line = (name: string, xs: Figures[], rss = "children included") => {
  if (xs.length === 0) return;
  const w = (p: Phase) => xs.map((x) => x.wallS[p]);
  console.log(
    `${name}: install ${range(w("install"), (x) => x.toFixed(1))} s (${range(w("install").map((x) => N / x), (x) => x.toFixed(2))} releases/s); ` +
      `no-op ${w("noop").some(Number.isNaN) ? "(none)" : `${range(w("noop"), (x) => x.toFixed(2))} s`}; upgrade ${range(w("upgrade"), (x) => x.toFixed(1))} s (${range(w("upgrade").map((x) => N / x), (x) => x.toFixed(2))} releases/s); ` +
      (xs.some((x) => Number.isNaN(x.installCpuS))
        ? ""
        : `install CPU ${range(xs.map((x) => x.installCpuS), (x) => x.toFixed(1))} s (${range(xs.map((x) => x.installCpuS / N), (x) => x.toFixed(3))} s/release); ` +
          `peak RSS ${range(xs.map((x) => x.peakBytes), mib)} MiB (${rss}); `) +
      `the cluster's CPU in the install ${range(xs.map((x) => Object.values(x.clusterInstallCpuS).reduce((a, b) => a + b, 0)), (x) => x.toFixed(1))} s`,
  );
};
line("berth", results.berth);
line("flux", results.flux);
line("floor (server-side apply and one watch, no Helm)", results.floor);
line("Helm alone (Helm 4's SDK in the Helm worker, its storage and wait, no reconciler; CPU and RSS the worker's)", results.helm, "the worker");
/** Flux's wall over `xs`'s, medians, on install and upgrade (nothing when either did not run). */
const leadOverFlux = (xs: Figures[]) => {
  if (xs.length === 0 || results.flux.length === 0) return undefined;
  const best = (p: "install" | "upgrade") => Number((median(results.flux.map((x) => x.wallS[p])) / median(xs.map((x) => x.wallS[p]))).toFixed(2));
  return `install ${best("install")}x, upgrade ${best("upgrade")}x`;
};
const helmLead = leadOverFlux(results.helm);
if (helmLead) console.log(`the most a deployer that keeps Helm's storage and wait could lead Flux by here (Flux's wall / Helm alone's, medians): ${helmLead}`);
const floorLead = leadOverFlux(results.floor);
if (floorLead) console.log(`the most any system could lead Flux by on this machine (Flux's wall / the floor's, medians): ${floorLead}`);
if (results.berth.length > 0 && results.flux.length > 0) {
  const m = (sys: "berth" | "flux", f: (x: Figures) => number) => median(results[sys].map(f));
  const ratio = (f: (x: Figures) => number) => Number((m("flux", f) / m("berth", f)).toFixed(2));
  const adv = {
    releases: N,
    concurrency: C,
    install: ratio((x) => x.wallS.install),
    upgrade: ratio((x) => x.wallS.upgrade),
    noop: ratio((x) => x.wallS.noop),
    cpuPerRelease: ratio((x) => x.installCpuS),
    peakMemory: ratio((x) => x.peakBytes),
  };
  console.log(`berth's advantage (Flux's figure / berth's, medians; above 1: berth is better): install ${adv.install}x, upgrade ${adv.upgrade}x, no-op ${adv.noop}x, CPU per release ${adv.cpuPerRelease}x, peak memory ${adv.peakMemory}x`);
  console.log(JSON.stringify(adv));
}
