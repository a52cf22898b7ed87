import { access, constants } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** Absolute paths of the binaries built by test/cluster/build.sh. */
export interface Binaries {
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  etcd: string;
  kwok: string;
  /** Helm 4, the default. */
  helm: string;
  /** Helm 3. */
  helm3: string;
  /** CNCF Distribution, the OCI registry of the chart tests (charts.ts). */
  registry: string;
  /** kube-score v1.20.0, the static checks the generated charts are scored with (test/render/kube-score.int.test.ts). */
  kubeScore: string;
  /** Gitea v1.27.3 (SQLite, templates embedded), the forge of the forge tests (test/support/gitea.ts). */
  gitea: string;
  /** berth's Helm worker (helm-worker/), built from tools/helm4's module graph: the tests' default Helm 4 path (BERTH_HELM_WORKER). */
  helmWorker: string;
}

const FILE_NAMES: Record<keyof Binaries, string> = {
  kubeApiserver: "kube-apiserver",
  kubeControllerManager: "kube-controller-manager",
  kubeScheduler: "kube-scheduler",
  kubectl: "kubectl",
  etcd: "etcd",
  kwok: "kwok",
  helm: "helm",
  helm3: "helm3",
  registry: "registry",
  kubeScore: "kube-score",
  gitea: "gitea",
  helmWorker: "berth-helm-worker",
};

export const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "build.sh");

/** Root of berth's caches: $BERTH_CACHE_DIR or ~/.cache/berth. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BERTH_CACHE_DIR ?? join(homedir(), ".cache", "berth");
}

function pathsIn(dir: string): Binaries {
  const entries = Object.entries(FILE_NAMES).map(([key, file]) => [key, join(dir, file)]);
  return Object.fromEntries(entries) as Binaries;
}

async function allExecutable(binaries: Binaries): Promise<boolean> {
  try {
    await Promise.all(Object.values(binaries).map((path) => access(path, constants.X_OK)));
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the binaries, running build.sh first when any is missing from the
 * cache (its progress goes to stderr; a cold build takes tens of minutes).
 */
export async function ensureBinaries(): Promise<Binaries> {
  const { stdout } = await execa("bash", [BUILD_SCRIPT, "--bin-dir"]);
  const binaries = pathsIn(stdout.trim());
  if (await allExecutable(binaries)) return binaries;
  await execa("bash", [BUILD_SCRIPT], { stdout: process.stderr, stderr: process.stderr });
  if (!(await allExecutable(binaries))) {
    throw new Error(`${BUILD_SCRIPT} finished but ${stdout.trim()} still lacks some binaries`);
  }
  return binaries;
}
