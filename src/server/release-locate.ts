// Where a per-release route finds its release: the cluster by name among those
// the newest revision declares (the last ones known while the source is down),
// the release on it as berth owns it (manual.ts findRelease), and what git
// declares of it there now. And how the domain's errors answer over HTTP.
import { BerthError } from "../errors.ts";
import type { Cluster, ReleaseSpec } from "../model/types.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";
import { findRelease, type FoundRelease } from "../reconcile/manual.ts";
import type { DesiredRevision } from "../reconcile/revision.ts";
import { HttpError } from "./router.ts";
import { newest, type ServeState } from "./state.ts";

export interface LocatedRelease {
  target: ClusterTarget;
  /** The release on the cluster, with berth's book of it as read now. */
  found: FoundRelease;
  /** What git declares of it on that cluster now (same name and namespace); absent for an orphan. */
  desired?: ReleaseSpec;
  /** The revision berth reads now, kept in the records of the actions. */
  commit: string;
}

/** The release `release` on `cluster`; HttpError 404 when either is unknown. */
export type Locate = (cluster: string, release: string, namespace?: string) => Promise<LocatedRelease>;

export interface LocateOptions {
  /** The service's state (its snapshot names the revision and its clusters); undefined before it starts. */
  state(): ServeState | undefined;
  /** berth's clients for these clusters (a target cache). */
  targets(clusters: Cluster[]): ClusterTarget[];
}

export function createLocate(o: LocateOptions): Locate {
  // The newest revision's clusters; while the source is down or the newest revision is invalid, the last ones known.
  let known: DesiredRevision | undefined;
  return async (cluster, release, namespace) => {
    const s = o.state();
    // The newest of the last run and the snapshot: a rollback suspends against what git asks for now, not what a lagging snapshot saw.
    known = (s ? newest(s)?.desired : undefined) ?? s?.snapshot?.report.desired ?? s?.lastRun?.desired ?? known;
    const clusters = known?.repo.clusters ?? [];
    const c = clusters.find((x) => x.metadata.name === cluster);
    if (!c) throw new HttpError(404, `no cluster ${cluster}; there are ${clusters.map((x) => x.metadata.name).join(", ") || "none yet"}`);
    const placed = known!.byCluster.get(cluster) ?? [];
    const target = o.targets([c])[0]!;
    let found: FoundRelease;
    try {
      found = await findRelease(target, release, namespace, placed.find((r) => r.name === release)?.namespace);
    } catch (err) {
      if (err instanceof BerthError && err.code === "INVALID_INPUT") throw new HttpError(404, err.message);
      throw httpError(err);
    }
    const desired = placed.find((r) => r.name === found.name && r.namespace === found.namespace);
    return { target, found, ...(desired ? { desired } : {}), commit: known!.commit };
  };
}

/**
 * The HTTP answer of a domain error: invalid input 400 (a parameter the
 * release does not have: a pod, a container, a revision), a refused or failed
 * action 409, a cluster or helm that could not answer 502. Anything else is
 * left to the router (500).
 */
export function httpError(err: unknown): unknown {
  if (!(err instanceof BerthError)) return err;
  switch (err.code) {
    case "INVALID_INPUT":
      return new HttpError(400, err.message);
    case "ACTION_FAILED":
      return new HttpError(409, err.message);
    case "KUBE_FAILED":
    case "HELM_FAILED":
    case "HELM_TIMEOUT":
      return new HttpError(502, err.message);
    default:
      return err;
  }
}

/** `fn`'s answer, its domain errors as HTTP answers. */
export async function answering<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw httpError(err);
  }
}
