import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cacheDir } from "./binaries.ts";
import { commandLine, isAlive, stopGroups } from "./processes.ts";

/** What a running cluster leaves in `<dataDir>/state.json`. */
export interface ClusterState {
  name: string;
  dataDir: string;
  kubeconfigPath: string;
  server: string;
  /** Pid of the Node process the cluster lives and dies with; null when detached. */
  owner: number | null;
  startedAt: string;
  /** Pid of each component, by name (etcd, kube-apiserver, ...). */
  pids: Record<string, number>;
}

export const STATE_FILE = "state.json";

/** Where `npm run cluster -- up` keeps its clusters. */
export function detachedBaseDir(): string {
  return join(cacheDir(), "clusters");
}

/** Where test runs keep theirs: one folder per runner pid, reaped when that pid is gone. */
export function runsBaseDir(): string {
  return join(cacheDir(), "runs");
}

export async function writeState(state: ClusterState): Promise<void> {
  await writeFile(join(state.dataDir, STATE_FILE), JSON.stringify(state, null, 2) + "\n");
}

export async function readState(dataDir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, STATE_FILE), "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

/**
 * Pids of the state's processes that still run. A pid counts only when its
 * command line names the data dir, so a pid reused by another program is
 * never touched.
 */
export function livePids(state: ClusterState): number[] {
  return Object.values(state.pids).filter((pid) => isAlive(pid) && commandLine(pid).includes(state.dataDir));
}

/** Stops whatever still runs of a recorded cluster and deletes its data dir. */
export async function destroyRecorded(dataDir: string): Promise<boolean> {
  const state = await readState(dataDir);
  if (state !== undefined) await stopGroups(livePids(state), 2_000);
  await rm(dataDir, { recursive: true, force: true });
  return state !== undefined;
}

/** The recorded clusters directly under `baseDir`. */
export async function listStates(baseDir: string): Promise<ClusterState[]> {
  let names: string[];
  try {
    names = await readdir(baseDir);
  } catch {
    return [];
  }
  const states = await Promise.all(names.sort().map((name) => readState(join(baseDir, name))));
  return states.filter((state): state is ClusterState => state !== undefined);
}

/**
 * Removes clusters left behind by test runs whose runner died without
 * cleaning up (SIGKILL, a crash): their processes are stopped, data deleted.
 */
export async function reapStaleRuns(): Promise<void> {
  const base = runsBaseDir();
  let runs: string[];
  try {
    runs = await readdir(base);
  } catch {
    return;
  }
  for (const run of runs) {
    const owner = Number(run);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) continue;
    const dir = join(base, run);
    for (const state of await listStates(dir)) await destroyRecorded(state.dataDir);
    await rm(dir, { recursive: true, force: true });
  }
}
