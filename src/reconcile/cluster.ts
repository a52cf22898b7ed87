// One cluster at one revision: observe (three list calls), plan, then act in
// dependency order with bounded parallelism. Nothing to change -> no helm call.
import pLimit from "p-limit";
import type { HelmClient } from "../adapters/helm.ts";
import type { KubeClient } from "../adapters/kube.ts";
import type { Logger } from "../log.ts";
import type { ReleaseSpec } from "../model/types.ts";
import { changes } from "../plan/action.ts";
import type { RetryPolicy } from "../plan/decide.ts";
import { planCluster, type ClusterPlan, type PlannedRelease } from "../plan/plan.ts";
import { newestRecords, pruneDecider, recordWrites, type AppDeclaration, type AppRecord } from "../plan/prune.ts";
import { actingContext, type ActingAs, type ActionContext } from "./context.ts";
import { readBook, type ReleaseBook } from "./memo.ts";
import type { ObservedRelease } from "../plan/observed.ts";
import { reconcileRelease, type ReleaseResult } from "./release.ts";
import { releaseDone, waitingOn, type ProgressSink } from "./progress.ts";

export interface ClusterTarget {
  name: string;
  paused: boolean;
  allowEmpty: boolean;
  maxHistory?: number;
  kube: KubeClient;
  helm: HelmClient;
  /** The clients acting as a Project's identity on this cluster (kept per identity); without it, such a Project's releases are blocked. */
  as?: ActingAs;
}

export interface ClusterRunInput {
  commit: string;
  desired: ReleaseSpec[];
  /** Every application of the revision (placed here or not): its prune setting decides for its orphans, and releases carry it as a label. */
  applications: ReadonlyMap<string, AppDeclaration>;
  /** Applications held back on this cluster (their canary failed), with the reason. */
  heldApps?: ReadonlyMap<string, string>;
  /** A local path of a chart for helm (reconcile/chart-path.ts). */
  chartDir(chart: ReleaseSpec["chart"]): Promise<string>;
  log: Logger;
  concurrency?: number;
  helmTimeoutMs?: number;
  stepTimeoutMs?: number;
  healthTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Plan only: observe and decide, change nothing. */
  dryRun?: boolean;
  /** Told what was planned and each release's progress (reconcile/progress.ts). */
  progress?: ProgressSink;
  /**
   * Asked before each release's action starts: false once this replica no
   * longer acts for the cluster (its shard was lost mid-pass); the action is
   * then not started. A helm call already running is not interrupted.
   */
  mayAct?: () => boolean;
}

/** What one observation of a cluster saw: the releases in Helm's storage, berth's books and its application records. */
export interface Observation {
  observed: ObservedRelease[];
  books: Map<string, ReleaseBook>;
  records: AppRecord[];
}

export interface ClusterResult {
  cluster: string;
  reachable: boolean;
  /** Set by a dry run: what was observed, so a status read need not list again. */
  observation?: Observation;
  error?: string;
  plan?: ClusterPlan;
  releases: ReleaseResult[];
  /** Wall time of this cluster's part of the run (set by the loop). */
  durationMs?: number;
}

const key = (ns: string, name: string) => `${ns}/${name}`;

/** Three list calls: Helm's release storage, berth's books and application records. The whole observation of a cluster. */
export async function observe(target: ClusterTarget): Promise<Observation> {
  await target.kube.ping();
  const [observed, memos, records] = await Promise.all([target.kube.listReleases(), target.kube.listMemos(), target.kube.listAppRecords()]);
  return { observed, books: new Map([...memos].map(([k, v]) => [k, readBook(v)])), records };
}

export async function observeAndPlan(target: ClusterTarget, input: Pick<ClusterRunInput, "desired" | "retry" | "heldApps" | "applications">) {
  const { observed, books, records } = await observe(target);
  const recorded = newestRecords(records);
  const plan = planCluster({
    cluster: target.name,
    paused: target.paused,
    desired: input.desired,
    observed,
    memos: new Map([...books].map(([k, b]) => [k, b.memo])),
    prune: pruneDecider({ declared: input.applications, recorded }),
    allowEmpty: target.allowEmpty,
    now: Date.now(),
    ...(input.retry ? { retry: input.retry } : {}),
  });
  for (const r of plan.releases) {
    const held = r.application ? input.heldApps?.get(r.application) : undefined;
    if (held && changes(r.action)) r.action = { kind: "blocked", reason: held };
  }
  return { plan, books, observed, records, recorded };
}

export async function reconcileCluster(target: ClusterTarget, input: ClusterRunInput): Promise<ClusterResult> {
  const log = input.log.child({ cluster: target.name });
  let plan: ClusterPlan;
  let books: Map<string, ReleaseBook>;
  let observed: ObservedRelease[];
  let records: AppRecord[];
  let recorded: Map<string, AppRecord>;
  try {
    ({ plan, books, observed, records, recorded } = await observeAndPlan(target, input));
  } catch (err) {
    log.warn({ err: (err as Error).message }, "cluster unreachable");
    return { cluster: target.name, reachable: false, error: (err as Error).message, releases: [] };
  }
  const emit = input.progress ?? (() => {});
  emit({ kind: "cluster-planned", cluster: target.name, total: plan.releases.length, changing: plan.releases.filter((r) => changes(r.action)).length });
  // Before any action, and even when no release changes: a revision that only
  // switches `prune` must be remembered for when its application leaves git.
  // A paused cluster is never changed, records included.
  if (!input.dryRun && !target.paused) await writeRecords(target, input, observed, recorded, log);
  // Desired release names are unique on a cluster (`<application>-<entry>`); an
  // orphan of the same name in another namespace is a different release.
  const desiredByName = new Map(plan.releases.filter((r) => r.desired).map((r) => [r.name, r]));
  const unchanged = (r: PlannedRelease): ReleaseResult => ({
    name: r.name,
    namespace: r.namespace,
    ...(r.application ? { application: r.application } : {}),
    outcome: r.action.kind === "blocked" ? "blocked" : "unchanged",
    reason: r.action.kind === "blocked" || r.action.kind === "none" ? r.action.reason : "planned",
    final: r,
    records: [],
  });
  if (input.dryRun || !plan.releases.some((r) => changes(r.action))) {
    return {
      cluster: target.name,
      reachable: true,
      plan,
      releases: plan.releases.map(unchanged),
      ...(input.dryRun ? { observation: { observed, books, records } } : {}),
    };
  }

  const ctx: ActionContext = {
    cluster: target.name,
    commit: input.commit,
    kube: target.kube,
    helm: target.helm,
    log,
    helmTimeoutMs: input.helmTimeoutMs ?? 300_000,
    stepTimeoutMs: input.stepTimeoutMs ?? 600_000,
    ...(target.maxHistory !== undefined ? { maxHistory: target.maxHistory } : {}),
    chartDir: input.chartDir,
  };
  const limit = pLimit(input.concurrency ?? 4);
  // side by side, as many at a time as releases act: one by one, 40 namespaces held every release back ~0.5 s
  const namespaces = [...new Set(plan.releases.filter((r) => r.desired && changes(r.action)).map((r) => r.namespace))];
  await Promise.all(namespaces.sort().map((ns) => limit(() => target.kube.ensureNamespace(ns))));

  const running = new Map<string, Promise<ReleaseResult>>(); // by namespace/name
  const finished = new Set<string>();
  const run = async (r: PlannedRelease, began: { at?: number }): Promise<ReleaseResult> => {
    const waiting = changes(r.action) ? waitingOn(target.name, r, (n) => finished.has(n)) : undefined;
    if (waiting) emit(waiting);
    const needs = await Promise.all(r.needs.map((n) => running.get(key(desiredByName.get(n)!.namespace, n))!));
    if (changes(r.action)) {
      for (const need of needs) {
        if (need.outcome === "failed" || need.outcome === "blocked") {
          return { ...unchanged(r), outcome: "blocked", reason: `needs ${need.name}, which ${need.outcome === "failed" ? "failed" : "is blocked"}: ${need.reason}` };
        }
        const spec = desiredByName.get(need.name)?.desired;
        if (spec) {
          // A need is waited on no longer than helm may wait for health (--helm-timeout), and 2 minutes at most.
          const waitMs = input.healthTimeoutMs ?? Math.min(input.helmTimeoutMs ?? 120_000, 120_000);
          const h = await target.kube.waitHealthy({ namespace: spec.namespace, name: spec.name, workloadKind: spec.workloadKind }, waitMs);
          if (!h.healthy) return { ...unchanged(r), outcome: "blocked", reason: `needs ${need.name}, which is not healthy: ${h.message}` };
        }
      }
    }
    const action = r.action.kind;
    if (action === "none" || action === "blocked") return unchanged(r);
    const book = books.get(key(r.namespace, r.name)) ?? readBook(undefined);
    const prune = r.application ? (input.applications.get(r.application)?.prune ?? false) : false;
    const acting = actingContext(ctx, r.desired?.project, target.as);
    if ("blocked" in acting) return { ...unchanged(r), outcome: "blocked", reason: acting.blocked };
    return limit(() => {
      if (input.mayAct && !input.mayAct()) return { ...unchanged(r), outcome: "blocked" as const, reason: `this replica no longer acts for cluster ${target.name} (its shard went to another replica); not started` };
      began.at = Date.now();
      emit({ kind: "release-start", cluster: target.name, release: r.name, action });
      return reconcileRelease(acting.ctx, r, { book, prune, ...(input.retry ? { retry: input.retry } : {}) });
    });
  };
  const tracked = async (r: PlannedRelease): Promise<ReleaseResult> => {
    const began: { at?: number } = {};
    const result = await run(r, began);
    finished.add(r.name);
    emit(releaseDone(target.name, result, began.at === undefined ? 0 : Date.now() - began.at));
    return result;
  };
  // plan.releases lists dependencies before dependents, so every need is already running.
  for (const r of plan.releases) running.set(key(r.namespace, r.name), tracked(r));
  const releases = await Promise.all(running.values());
  return { cluster: target.name, reachable: true, plan, releases };
}

/**
 * Writes the application records this revision changes (plan/prune.ts
 * recordWrites: none when the cluster already says it). A failed write only
 * warns: this pass decides from the revision itself, and the next pass writes again.
 */
async function writeRecords(
  target: ClusterTarget,
  input: Pick<ClusterRunInput, "applications" | "commit" | "concurrency">,
  observed: ObservedRelease[],
  recorded: ReadonlyMap<string, AppRecord>,
  log: Logger,
): Promise<void> {
  const writtenAt = new Date().toISOString();
  // each application's record is its own ConfigMap: written side by side, as many at a time as releases act
  const limit = pLimit(input.concurrency ?? 4);
  await Promise.all(recordWrites({ declared: input.applications, recorded, observed }).map((w) => limit(async () => {
    try {
      await target.kube.writeAppRecord({ ...w, commit: input.commit, writtenAt });
      log.info({ application: w.application, namespace: w.namespace, prune: w.prune }, "recorded the application's prune setting");
    } catch (err) {
      log.warn({ application: w.application, err: (err as Error).message }, "could not record the application's prune setting; retried next pass");
    }
  })));
}
