// Where one release's time goes, on an idle fresh local cluster, one call at a
// time: the helm process path (process start, chart load + render, install,
// upgrade) and the Helm worker (its phases: chart load, release history,
// discovery, manifest build, apply, wait), install vs upgrade (one env var
// added: a Deployment rollout).
// --concurrency C runs C calls at once (the phases then show what waits on what).
// Run: node --import tsx bench/peer/breakdown.ts [--releases 20] [--concurrency 1]
import { parseArgs } from "node:util";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { BENCH_CONTROLLER_MANAGER_QPS, ensureBinaries, startCluster } from "../../test/cluster/harness.ts";
import { createHelmWorker, type WorkerAnswer } from "../../src/adapters/helm/worker.ts";
import { createLogger } from "../../src/log.ts";
import { loadRepo } from "../../src/model/load.ts";
import { outputFiles, renderRepo } from "../../src/render/output.ts";

const { values: flags } = parseArgs({ options: { releases: { type: "string", default: "20" }, concurrency: { type: "string", default: "1" } } });
const K = Number(flags.releases);
const C = Number(flags.concurrency);
/** Runs f(0..K-1), C at a time. */
async function each(f: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < K) await f(next++);
  }));
}
const binaries = await ensureBinaries();
const base = await mkdtemp(join(tmpdir(), "berth-breakdown-"));
const log = createLogger({ level: "error" });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;

// the generated worker chart and its values, as bench/peer/peer.ts uses them
const defs = join(base, "defs");
for (const [p, text] of Object.entries({
  "clusters/east.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: east }\nspec: {}\n",
  "components/worker.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: worker }\nspec:\n  version: 1.0.0\n  workload: worker\n  container: { image: registry.example.com/bench/worker }\n",
  "apps/a0.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a0 }\nspec:\n  namespace: bench-a0\n  components:\n    - { name: c0, component: worker, version: \"^1.0.0\" }\n",
})) {
  await mkdir(join(defs, p, ".."), { recursive: true });
  await writeFile(join(defs, p), text);
}
const rendered = renderRepo(await loadRepo(defs, {}));
for (const [p, text] of Object.entries(outputFiles({ ...rendered, releases: [] }))) {
  await mkdir(join(base, p, ".."), { recursive: true });
  await writeFile(join(base, p), text);
}
const chartDir = join(base, "charts", "worker");
const v1 = rendered.releases[0]!.values as Record<string, unknown>;
const v2 = { ...v1, env: { ...((v1.env as object | undefined) ?? {}), BENCH_UPGRADE: "1" } };
await writeFile(join(base, "v1.json"), JSON.stringify(v1));
await writeFile(join(base, "v2.json"), JSON.stringify(v2));

const cluster = await startCluster({ name: "breakdown", binaries, baseDir: base, persistentVolumes: 0, controllerManagerQps: BENCH_CONTROLLER_MANAGER_QPS });
const kc = ["--kubeconfig", cluster.kubeconfigPath, "--kube-context", cluster.name];
try {
  const namespaces = ["proc", "work"].map((p) => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${p} }\n`).join("---\n");
  await execa(binaries.kubectl, ["--kubeconfig", cluster.kubeconfigPath, "--context", cluster.name, "apply", "-f", "-"], { input: namespaces });
  const time = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return performance.now() - t;
  };
  const helm = (args: string[]) => execa(binaries.helm, [...args, ...kc], { env: { HELM_DRIVER: "secret", HELM_NO_PLUGINS: "1" } });
  const upgradeArgs = (name: string, values: string) => ["upgrade", name, chartDir, "--install", "--namespace", "proc", "--values", join(base, values), "--wait", "--wait-for-jobs", "--timeout", "300s", "--history-max", "10", "--force-conflicts"];

  const p = { version: [] as number[], template: [] as number[], install: [] as number[], upgrade: [] as number[] };
  const wall: Record<string, number> = {};
  const stage = async (name: string, f: (i: number) => Promise<void>) => {
    const t = performance.now();
    await each(f);
    wall[name] = performance.now() - t;
  };
  await stage("process version", async () => void p.version.push(await time(() => helm(["version", "--template", "{{.Version}}"]))));
  await stage("process template", async (i) => void p.template.push(await time(() => helm(["template", `r${i}`, chartDir, "--namespace", "proc", "--values", join(base, "v1.json"), "--include-crds"]))));
  await stage("process install", async (i) => void p.install.push(await time(() => helm(upgradeArgs(`r${i}`, "v1.json")))));
  await stage("process upgrade", async (i) => void p.upgrade.push(await time(() => helm(upgradeArgs(`r${i}`, "v2.json")))));

  const w = createHelmWorker({ binary: binaries.helmWorker, args: kc, log, killGraceMs: 5000 });
  const t0 = performance.now();
  await w.version();
  const startMs = performance.now() - t0;
  const phases: Record<string, Record<string, number[]>> = { install: {}, upgrade: {}, template: {} };
  const call = async (op: "upgrade" | "template", name: string, values: object, kind: string) => {
    const o = await w.request({ op, release: name, namespace: "work", chartDir, values, labels: { "berth.dev/managed": "true" }, timeoutMs: 300_000, maxHistory: 10, isUpgrade: false }, 330_000);
    if (o.kind !== "answer" || !o.answer.ok) throw new Error(`worker ${kind} ${name}: ${JSON.stringify(o)}`);
    const a: WorkerAnswer = o.answer;
    for (const [k, v] of Object.entries(a.phases ?? {})) (phases[kind]![k] ??= []).push(v);
  };
  await stage("worker template", (i) => call("template", `r${i}`, v1, "template"));
  await stage("worker install", (i) => call("upgrade", `r${i}`, v1, "install"));
  await stage("worker upgrade", (i) => call("upgrade", `r${i}`, v2, "upgrade"));
  w.close();

  console.log(`${C} call(s) at a time on a fresh cluster, ${K} releases of the generated worker chart (per call: medians, min–max; discovery is exact at concurrency 1 only):`);
  console.log(`wall per stage: ${Object.entries(wall).map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`).join(", ")}`);
  console.log(`process path: helm version (process start + Go runtime + CLI init) ${fmt(p.version)}; helm template (+ chart load and render) ${fmt(p.template)}; install ${fmt(p.install)}; upgrade ${fmt(p.upgrade)}`);
  console.log(`worker: start until hello ${startMs.toFixed(0)} ms (once per cluster)`);
  for (const kind of ["template", "install", "upgrade"]) {
    console.log(`worker ${kind}: ${Object.entries(phases[kind]!).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")}`);
  }
} finally {
  await cluster.stop();
  await rm(base, { recursive: true, force: true });
}
