// What a running reconciler knows that the clusters do not: the source's
// health, the revisions applied and attempted, which cluster is unreachable
// since when. Kept in a small JSON file so `berth status` can read it.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export interface ClusterRuntime {
  reachable: boolean;
  /** Since when the cluster is (un)reachable without a change. */
  since: string;
  lastError?: string;
  lastReconcileAt?: string;
}

export interface RuntimeState {
  source: string;
  lastAppliedRevision?: string;
  /** The tree of the last applied revision (the source keeps the last few on disk). */
  lastAppliedDir?: string;
  lastAttemptedRevision?: string;
  /** The newest revision that failed validation, with its errors. */
  invalidRevision?: { sha: string; errors: string[] };
  sourceError?: { message: string; staleSince: string };
  lastFetchAt?: string;
  clusters: Record<string, ClusterRuntime>;
}

export function emptyState(source: string): RuntimeState {
  return { source, clusters: {} };
}

export function markCluster(s: RuntimeState, name: string, reachable: boolean, at: Date, error?: string): RuntimeState {
  const prev = s.clusters[name];
  const since = prev && prev.reachable === reachable ? prev.since : at.toISOString();
  const c: ClusterRuntime = { reachable, since, lastReconcileAt: at.toISOString(), ...(error ? { lastError: error } : {}) };
  return { ...s, clusters: { ...s.clusters, [name]: c } };
}

export async function readState(path: string, source: string): Promise<RuntimeState> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as RuntimeState;
  } catch {
    return emptyState(source);
  }
}

export async function writeState(path: string, s: RuntimeState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(s, null, 2));
  await rename(tmp, path);
}
