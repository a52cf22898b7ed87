// One pass over the clusters, in each application's waves (plan/waves.ts).
// Every cluster runs at once, with the applications whose wave there is not
// open held back; when a pass opens a wave (the one before it ended healthy),
// the clusters of that wave run again for the applications it releases. What
// gates a wave across passes (done since when, approvals) is read from and
// written to the clusters (kube/rollout-records.ts), never kept in memory.
import { createHash } from "node:crypto";
import type { RolloutRecord, WaveApproval } from "../adapters/kube/rollout-records.ts";
import type { Logger } from "../log.ts";
import type { Repo, ReleaseSpec } from "../model/types.ts";
import { releaseDigest } from "../plan/digest.ts";
import { appWaves, gateWaves, type AppRollout, type ClusterAppState, type PlannedWave } from "../plan/waves.ts";
import type { ClusterResult, ClusterTarget } from "./cluster.ts";
import type { ProgressSink } from "./progress.ts";
import type { ReleaseResult } from "./release.ts";

/** An application whose rollout has more than one wave, or asks for a soak or an approval. */
interface Gated {
  application: string;
  namespace: string;
  waves: PlannedWave[];
  wait: "healthy" | "none";
  /** Its releases' digests per cluster, and over all its clusters (what an approval is for). */
  digestOn: Map<string, string>;
  digest: string;
}

const sha = (parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 24);

/** The applications of a revision that have waves, with what they are at this revision. */
export function gatedApps(repo: Pick<Repo, "applications" | "clusters">, byCluster: ReadonlyMap<string, ReleaseSpec[]>): Gated[] {
  const out: Gated[] = [];
  for (const app of repo.applications) {
    const waves = appWaves(app, repo.clusters);
    if (waves.length < 2 && !waves.some((w) => w.soak || w.approval)) continue;
    const name = app.metadata.name;
    const digestOn = new Map<string, string>();
    for (const w of waves) {
      for (const c of w.clusters) {
        const specs = (byCluster.get(c) ?? []).filter((r) => r.application === name);
        digestOn.set(c, sha(specs.map((s) => `${s.name}=${releaseDigest(s)}`).sort()));
      }
    }
    const digest = sha([...digestOn].map(([c, d]) => `${c}=${d}`).sort());
    out.push({ application: name, namespace: app.spec.namespace, waves, wait: app.spec.placement?.rollout?.wait ?? "healthy", digestOn, digest });
  }
  return out;
}

/** Whether an approval counts for this revision of the application: the same commit, or a commit that leaves the application as it was. */
export const approvalHolds = (a: WaveApproval, revision: string, digest: string): boolean => a.revision === revision || a.digest === digest;

/** What one cluster's pass says of one application: done (every release in sync), failed, or still going. */
export function appStateOn(result: ClusterResult, application: string, stored: RolloutRecord["done"], digest: string, now: Date): ClusterAppState {
  if (!result.reachable) return { done: false, pending: `unreachable (${result.error ?? "no answer"})` };
  const mine = result.releases.filter((r) => r.application === application && r.final.desired);
  const failed = mine.find((r) => r.outcome === "failed" || r.final.state.name === "Failed");
  if (failed) return { done: false, failed: `${failed.name} failed (${failed.reason})` };
  const blocked = mine.find((r) => r.outcome === "blocked");
  if (blocked) return { done: false, ...(blocked.reason.startsWith(HELD) ? {} : { pending: `${blocked.name} blocked (${blocked.reason})` }) };
  const behind = mine.find((r) => r.final.state.name !== "InSync");
  if (behind) return { done: false, pending: `${behind.name}: ${behind.final.state.reason}` };
  return { done: true, doneSince: stored && stored.digest === digest ? stored.since : now.toISOString() };
}

/** Marks the reason of a release held by its wave, so a later read tells it from another block. */
const HELD = "rollout: ";

export interface RolloutRun {
  results: ClusterResult[];
  rollout: AppRollout[];
}

export interface RolloutInput<T extends ClusterTarget> {
  repo: Pick<Repo, "applications" | "clusters">;
  byCluster: ReadonlyMap<string, ReleaseSpec[]>;
  revision: string;
  clusters: T[];
  /**
   * Clusters this pass does not act for (another replica's shards) whose
   * records still gate the waves: a canary elsewhere holds these clusters
   * until its own replica has stored it done.
   */
  observe?: ClusterTarget[];
  run: (cluster: T, heldApps?: Map<string, string>) => Promise<ClusterResult>;
  emit: ProgressSink;
  /** Plan only: nothing is written (done-since records stay as they are). */
  dryRun?: boolean;
  log: Logger;
  now?: () => Date;
}

/** A later round's result of a release replaces the earlier one unless the earlier did something and the later nothing. */
function merge(before: ClusterResult, after: ClusterResult): ClusterResult {
  const earlier = new Map(before.releases.map((r) => [`${r.namespace}/${r.name}`, r]));
  const releases = after.releases.map((r): ReleaseResult => {
    const e = earlier.get(`${r.namespace}/${r.name}`);
    return e && r.outcome === "unchanged" && (e.outcome === "applied" || e.outcome === "failed") ? e : r;
  });
  return { ...after, releases, durationMs: (before.durationMs ?? 0) + (after.durationMs ?? 0) };
}

export async function runRollout<T extends ClusterTarget>(i: RolloutInput<T>): Promise<RolloutRun> {
  const now = i.now ?? (() => new Date());
  const gated = gatedApps(i.repo, i.byCluster);
  if (!gated.length) return { results: await Promise.all(i.clusters.map((c) => i.run(c))), rollout: [] };

  const names = new Set(i.clusters.map((c) => c.name));
  // What the clusters remember (one list call each); an unreachable cluster remembers nothing now.
  const records = new Map<string, RolloutRecord[]>();
  await Promise.all(
    // another shard's cluster is read only when a wave of an application here spans it
    [...i.clusters, ...(i.observe ?? []).filter((c) => !names.has(c.name) && gated.some((g) => g.digestOn.has(c.name)))].map(async (c) => {
      records.set(c.name, await c.kube.listRolloutRecords().catch(() => []));
    }),
  );
  const recordOf = (cluster: string, app: string) => records.get(cluster)?.find((r) => r.application === app);
  const states = new Map(gated.map((g) => [g.application, new Map<string, ClusterAppState>()]));
  for (const g of gated) {
    for (const [c, d] of g.digestOn) {
      const done = recordOf(c, g.application)?.done;
      if (done && done.digest === d) states.get(g.application)!.set(c, { done: true, doneSince: done.since });
    }
  }
  const approvedFor = (g: Gated) =>
    new Set(
      g.waves
        .filter((w) => w.clusters.some((c) => (recordOf(c, g.application)?.approvals ?? []).some((a) => a.wave === w.index && approvalHolds(a, i.revision, g.digest))))
        .map((w) => w.index),
    );
  const approvals = new Map(gated.map((g) => [g.application, approvedFor(g)]));
  const gate = () => gated.map((g) => gateWaves({ application: g.application, revision: i.revision, waves: g.waves, wait: g.wait, states: states.get(g.application)!, approved: approvals.get(g.application)!, now: now() }));
  const heldOn = (gates: ReturnType<typeof gate>, cluster: string) => {
    const held = new Map<string, string>();
    gates.forEach((g, k) => {
      const reason = g.held.get(cluster);
      if (reason) held.set(gated[k]!.application, HELD + reason);
    });
    return held;
  };
  const learn = (r: ClusterResult) => {
    for (const g of gated) {
      const d = g.digestOn.get(r.cluster);
      if (d === undefined) continue;
      states.get(g.application)!.set(r.cluster, appStateOn(r, g.application, recordOf(r.cluster, g.application)?.done, d, now()));
    }
  };

  let gates = gate();
  const results = new Map<string, ClusterResult>();
  let heldBefore = new Map(i.clusters.map((c) => [c.name, heldOn(gates, c.name)]));
  for (const c of i.clusters) {
    const held = heldBefore.get(c.name)!;
    if (held.size) i.emit({ kind: "waiting", cluster: c.name, on: [...held.keys()].map((app) => ({ name: app, via: "wave" as const })) });
  }
  let round = i.clusters;
  // Each round opens at least one more wave or stops: at most as many rounds as waves.
  const rounds = Math.max(...gated.map((g) => g.waves.length));
  for (let k = 0; k < rounds && round.length; k++) {
    const out = await Promise.all(round.map((c) => i.run(c, heldBefore.get(c.name)!.size ? heldBefore.get(c.name)! : undefined)));
    for (const r of out) {
      const prev = results.get(r.cluster);
      results.set(r.cluster, prev ? merge(prev, r) : r);
      learn(r);
    }
    gates = gate();
    const next = new Map(i.clusters.map((c) => [c.name, heldOn(gates, c.name)]));
    // Run again where an application was held back with something to change and is not any more.
    round = i.clusters.filter((c) => {
      const r = results.get(c.name);
      const was = heldBefore.get(c.name)!;
      const now = next.get(c.name)!;
      return r?.releases.some((x) => x.application && was.has(x.application) && !now.has(x.application) && x.outcome === "blocked");
    });
    heldBefore = next;
  }

  if (!i.dryRun) await remember(i, gated, states, recordOf);
  const final = i.clusters.flatMap((c) => {
    const r = results.get(c.name);
    return r ? [sayWhyHeld(r, heldBefore.get(c.name)!)] : [];
  });
  return { results: final, rollout: gates.map((g) => g.rollout) };
}

/** A release held in an early round says what its wave waits for at the end of the pass (a failure found later, say). */
function sayWhyHeld(r: ClusterResult, held: ReadonlyMap<string, string>): ClusterResult {
  const releases = r.releases.map((x): ReleaseResult => {
    const now = x.application ? held.get(x.application) : undefined;
    if (x.outcome !== "blocked" || !now || !x.reason.startsWith(HELD) || x.reason === now) return x;
    const action = x.final.action.kind === "blocked" ? { ...x.final.action, reason: now } : x.final.action;
    return { ...x, reason: now, final: { ...x.final, action } };
  });
  return { ...r, releases };
}

/** Stores "done since" where it is new, so the next pass (or another replica) counts a soak from it. */
async function remember<T extends ClusterTarget>(
  i: RolloutInput<T>,
  gated: Gated[],
  states: Map<string, Map<string, ClusterAppState>>,
  recordOf: (cluster: string, app: string) => RolloutRecord | undefined,
): Promise<void> {
  // only the clusters this pass acts for: another replica stores its own
  const byName = new Map(i.clusters.map((c) => [c.name, c]));
  const writes: Promise<void>[] = [];
  for (const g of gated) {
    for (const [cluster, s] of states.get(g.application)!) {
      const t = byName.get(cluster);
      const digest = g.digestOn.get(cluster);
      if (!t || t.paused || !s.done || !s.doneSince || !digest) continue;
      const stored = recordOf(cluster, g.application)?.done;
      if (stored && stored.digest === digest) continue;
      writes.push(
        t.kube
          .ensureNamespace(g.namespace)
          .then(() => t.kube.writeRolloutDone({ application: g.application, namespace: g.namespace, digest, revision: i.revision, since: s.doneSince! }))
          .catch((err: Error) => i.log.warn({ cluster, application: g.application, err: err.message }, "could not store the rollout record; the next pass counts the soak again")),
      );
    }
  }
  await Promise.all(writes);
}
