// First sync and no-op resync of a generated repository on local clusters, with
// the real helm: releases per second, no-op time, helm calls, peak memory.
// Anchor: Flux's published benchmark, 1,000 HelmReleases in 8m12s (~2.03/s, 400 MiB).
// Run: npm run bench:reconcile [-- --releases 200 --clusters 2 --concurrency 6 --helm helm3]
import { parseArgs } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinaries, startCluster, type LocalCluster } from "../test/cluster/harness.ts";
import { commitFiles, createBareRepo } from "../test/support/git.ts";
import { createLogger } from "../src/log.ts";
import { createReconciler } from "../src/reconcile/loop.ts";
import { defaultRenderer } from "../src/cli/reconciler-flags.ts";
import { openSource } from "../src/reconcile/source.ts";

const { values } = parseArgs({
  options: {
    releases: { type: "string", default: "200" },
    clusters: { type: "string", default: "2" },
    concurrency: { type: "string", default: "6" },
    helm: { type: "string", default: "helm" },
  },
});
const RELEASES = Number(values.releases);
const CLUSTERS = Number(values.clusters);
const PER_APP = 5;
const FLUX_PER_SEC = 1000 / (8 * 60 + 12);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);

const binaries = await ensureBinaries();
const helm = values.helm === "helm3" ? binaries.helm3 : binaries.helm;
const base = await mkdtemp(join(tmpdir(), "berth-bench-"));
const names = ["east", "west", "north"].slice(0, CLUSTERS);
process.stderr.write(`starting ${CLUSTERS} local clusters...\n`);
const clusters: LocalCluster[] = await Promise.all(names.map((name) => startCluster({ name, binaries, baseDir: base, persistentVolumes: 0 })));

try {
  const files: Record<string, string> = {};
  for (const c of clusters) {
    files[`clusters/${c.name}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${c.name} }\nspec:\n  kubeconfig: { path: ${c.kubeconfigPath}, context: ${c.name} }\n`;
  }
  const apps = Math.ceil(RELEASES / CLUSTERS / PER_APP);
  for (let i = 0; i < PER_APP; i++) {
    files[`components/c${i}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: c${i} }\nspec:\n  version: 1.0.0\n  workload: worker\n  container: { image: registry.example.com/bench/c${i} }\n`;
  }
  for (let a = 0; a < apps; a++) {
    const entries = Array.from({ length: PER_APP }, (_, i) => `    - { name: c${i}, component: c${i}, version: "^1.0.0"${i > 0 ? `, dependsOn: [c${i - 1}]` : ""} }`);
    files[`apps/a${a}.yaml`] = `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a${a} }\nspec:\n  namespace: bench-a${a}\n  components:\n${entries.join("\n")}\n`;
  }
  const repo = await createBareRepo({ baseDir: base });
  await commitFiles(repo, files);
  const total = apps * PER_APP * CLUSTERS;

  const cacheDir = join(base, "cache");
  const source = await openSource(repo.url, { cacheDir: join(cacheDir, "sources") });
  const rec = createReconciler({
    source,
    renderer: defaultRenderer,
    log: createLogger({ level: "error" }),
    cacheDir,
    helmBinary: helm,
    concurrency: Number(values.concurrency),
    helmTimeoutMs: 300_000,
    // The clusters' kubeconfigs are under `base`, the operator's directory here.
    kubeconfig: { dirs: [base], deny: [{ dir: cacheDir, what: "berth's cache dir" }], allowExec: false },
  });

  peakRss = 0;
  let t = Date.now();
  const first = await rec.runOnce();
  const firstMs = Date.now() - t;
  const outcomes = first.clusters.flatMap((c) => c.releases.map((r) => r.outcome));
  const applied = outcomes.filter((o) => o === "applied").length;
  if (applied < total) {
    // A benchmark of a run that did not apply is no figure: say why and stop.
    const why = first.clusters.flatMap((c) => [...(c.error ? [`${c.cluster}: ${c.error}`] : []), ...c.releases.filter((r) => r.outcome !== "applied").map((r) => `${c.cluster}/${r.name}: ${r.outcome} ${r.reason}`)]);
    throw new Error(`first sync applied ${applied} of ${total} releases:\n${why.slice(0, 5).join("\n")}`);
  }
  t = Date.now();
  const noop = await rec.runOnce();
  const noopMs = Date.now() - t;
  const perSec = applied / (firstMs / 1000);

  console.log(`releases: ${total} (${apps} applications x ${PER_APP} components, chained by dependsOn, x ${CLUSTERS} clusters); helm ${values.helm}; concurrency ${values.concurrency} per cluster`);
  console.log(`first sync: ${(firstMs / 1000).toFixed(1)} s, ${applied}/${total} applied, ${perSec.toFixed(2)} releases/s, ${first.helmCalls} helm calls`);
  console.log(`no-op resync: ${noopMs} ms, ${noop.helmCalls} helm calls`);
  console.log(`peak RSS of berth: ${mib(peakRss)} MiB (helm child processes not included)`);
  console.log(`vs Flux (1,000 HelmReleases in 8m12s = ${FLUX_PER_SEC.toFixed(2)}/s, 400 MiB): ${(perSec / FLUX_PER_SEC).toFixed(2)}x the rate, ${(peakRss / (400 * 1024 * 1024)).toFixed(2)}x the memory`);
  await source.close();
} finally {
  clearInterval(sampler);
  await Promise.all(clusters.map((c) => c.stop()));
  await rm(base, { recursive: true, force: true });
}
