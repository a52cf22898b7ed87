import type { TestProject } from "vitest/node";
import { ensureBinaries, startCluster, type Binaries, type LocalCluster } from "./harness.ts";
import { reapStaleRuns, runsBaseDir } from "./state.ts";

/** A cluster as tests see it (see harness.ts for what runs inside). */
export interface ProvidedCluster {
  name: string;
  /** Path of its kubeconfig file (context = name, admin credentials). */
  kubeconfig: string;
  server: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** `east`, `west` (then `north` with BERTH_TEST_CLUSTERS=3). */
    clusters: ProvidedCluster[];
    binaries: Binaries;
    /** The Helm 4 binary, also when the suite runs on Helm 3 (`binaries.helm` is then helm3). */
    helm4: string;
  }
}

const NAMES = ["east", "west", "north"];

/** How many clusters to start: $BERTH_TEST_CLUSTERS (1..3), default 2. */
export function clusterCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.BERTH_TEST_CLUSTERS ?? "2";
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > NAMES.length) {
    throw new Error(`BERTH_TEST_CLUSTERS=${raw}: expected a whole number from 1 to ${NAMES.length}`);
  }
  return count;
}

// Starts the clusters once per `vitest run` and shares them with every
// integration test file; the returned function stops them at the end.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const count = clusterCount();
  await reapStaleRuns();
  const binaries = await ensureBinaries();
  const started = Date.now();
  const results = await Promise.allSettled(
    NAMES.slice(0, count).map((name) => startCluster({ name, binaries })),
  );
  const clusters = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const teardown = async (): Promise<void> => {
    await Promise.all(clusters.map((cluster: LocalCluster) => cluster.stop()));
  };
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await teardown();
    throw failed.reason;
  }
  process.stderr.write(`berth: ${count} local cluster(s) ready in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  project.provide(
    "clusters",
    clusters.map((c) => ({ name: c.name, kubeconfig: c.kubeconfigPath, server: c.server })),
  );
  // BERTH_TEST_HELM=helm3 runs the whole suite on Helm 3 (a helm process per call: the worker is Helm 4's SDK).
  const helm3 = process.env.BERTH_TEST_HELM === "helm3";
  if (process.env.BERTH_TEST_HELM !== undefined && !helm3 && process.env.BERTH_TEST_HELM !== "helm") throw new Error(`BERTH_TEST_HELM=${process.env.BERTH_TEST_HELM}: expected helm (Helm 4, the default) or helm3`);
  project.provide("binaries", helm3 ? { ...binaries, helm: binaries.helm3 } : binaries);
  project.provide("helm4", binaries.helm);
  // berth reads kubeconfigs only from the operator's directories; the test clusters' are the operator's here.
  // Set before vitest forks the workers, so they (and the CLIs they spawn) inherit it.
  process.env.BERTH_KUBECONFIG_DIRS = [runsBaseDir(), process.env.BERTH_KUBECONFIG_DIRS].filter(Boolean).join(":");
  // berth's default Helm 4 path is the worker; BERTH_HELM_WORKER="" runs the suite with a helm process per call.
  process.env.BERTH_HELM_WORKER ??= binaries.helmWorker;
  return teardown;
}
