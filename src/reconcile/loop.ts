// The reconcile loop: fetch a revision, load and render it, then every cluster
// in parallel, each application in its waves. An invalid revision changes nothing.
import { join } from "node:path";
import { createHash } from "node:crypto";
import { createChartStore } from "../adapters/chart-store.ts";
import { createChartFetcher } from "../adapters/charts/fetcher.ts";
import { createChartSources, type ChartSources } from "../adapters/charts/sources.ts";
import { chartPathFor } from "./chart-path.ts";
import { ValidationError, formatIssue } from "../errors.ts";
import type { Cluster } from "../model/types.ts";
import { readApplied, writeApplied } from "../adapters/kube/applied-record.ts";
import { shardIssues, shardOf } from "./shard-plan.ts";
import type { Logger } from "../log.ts";
import type { RetryPolicy } from "../plan/decide.ts";
import type { GitSource, Revision } from "./source.ts";
import { reconcileCluster, type ClusterResult, type ClusterTarget } from "./cluster.ts";
import { runRollout } from "./waves.ts";
import type { AppRollout } from "../plan/waves.ts";
import { progressSink, trackCluster, trackDrift, type ProgressSink } from "./progress.ts";
import { declaredApps, loadRevision, type DesiredRevision, type Renderer } from "./revision.ts";
import { markCluster, readState, writeState, type RuntimeState } from "./runtime-state.ts";
import { createTargetCache, type KubeconfigPolicy } from "./targets.ts";
import { clusterStatus, type ClusterStatus, type StatusSnapshot } from "./status.ts";
import { checkDrift, driftPolicyOf, type DriftPolicy, type DriftReport } from "./drift-check.ts";

export interface ReconcilerOptions {
  source: GitSource;
  renderer: Renderer;
  log: Logger;
  cacheDir: string;
  helmBinary: string;
  /** The Helm worker (--helm-worker); absent: $BERTH_HELM_WORKER; "": a helm process per call. */
  helmWorker?: string;
  /** Only this cluster (plan --cluster). */
  cluster?: string;
  concurrency?: number;
  helmTimeoutMs?: number;
  stepTimeoutMs?: number;
  healthTimeoutMs?: number;
  retry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
  /** What Clusters' kubeconfigs may reach (the operator's flags). */
  kubeconfig?: KubeconfigPolicy;
  /** Directories ChartRepositories' credential and CA files may be in (--repository-credentials-dir). */
  repositoryCredentialDirs?: string[];
  /** ChartRepository URLs berth may read (--repository-url-allow); absent: any. */
  repositoryUrls?: string[];
  /** Where repository charts come from (default: fetched over the network into `<cacheDir>/charts/pulled`). */
  charts?: ChartSources;
  /** berth is stopping (SIGTERM): no helm action starts, running ones are told to stop. */
  signal?: AbortSignal;
  onHelmCall?: (cluster: string, verb: string, ms: number, ok: boolean) => void;
  /** Told what each pass is doing while it runs (reconcile/progress.ts). */
  progress?: ProgressSink;
  /**
   * Sharding (`serve --shards K`): asked at the start of each pass which
   * clusters this replica acts for; the others are only read (status, the
   * rollout records of their waves). Absent: every cluster.
   */
  actsFor?: () => (cluster: Cluster) => boolean;
  /** With actsFor: K, to check each revision's spec.shard and to show each cluster's shard. */
  shards?: number;
  /** Who this process is, written into each cluster's applied record (the replica's identity). */
  replica?: string;
}

export interface RunReport {
  revision?: string;
  /** The source could not be fetched: nothing was applied. */
  sourceError?: string;
  /** The revision is invalid: nothing was applied. */
  invalid?: ValidationError;
  /** What the revision asked for, when it loaded. */
  desired?: DesiredRevision;
  clusters: ClusterResult[];
  /** Each application with waves: what each wave is doing or waits for. */
  rollout?: AppRollout[];
  helmCalls: number;
  durationMs: number;
}

export interface Reconciler {
  runOnce(opts?: { dryRun?: boolean }): Promise<RunReport>;
  /** Live status of every cluster, with why releases are blocked (no change made). */
  snapshot(): Promise<{ status: StatusSnapshot; blocked: Map<string, string>; report: RunReport }>;
  state(): Promise<RuntimeState>;
  /** Drift of every release of the last applied revision (or the current one, loaded without applying). */
  checkDrift(opts?: DriftRunOptions): Promise<DriftRun>;
  /** Read every repository's index again on the next pass (a webhook push). */
  refreshCharts(): void;
  readonly statePath: string;
}

export interface DriftRunOptions {
  /** Metrics hook: drift left per release after this check. */
  onDrift?: (cluster: string, release: string, count: number) => void;
  /** Overrides every application's policy: "report" on a follower, "correct" for `berth drift --correct`. */
  policy?: DriftPolicy;
}

export interface DriftRun {
  revision?: string;
  /** No valid revision could be loaded: nothing was checked. */
  error?: string;
  reports: DriftReport[];
}

export function statePathFor(cacheDir: string, location: string): string {
  return join(cacheDir, "state", `${createHash("sha256").update(location).digest("hex").slice(0, 16)}.json`);
}

export function createReconciler(o: ReconcilerOptions): Reconciler {
  const statePath = statePathFor(o.cacheDir, o.source.location);
  const targets = createTargetCache({
    helmBinary: o.helmBinary,
    ...(o.helmWorker !== undefined ? { helmWorker: o.helmWorker } : {}),
    log: o.log,
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onHelmCall ? { onHelmCall: o.onHelmCall } : {}),
  });
  const charts = createChartStore(join(o.cacheDir, "charts"));
  const sources =
    o.charts ??
    createChartSources({
      fetcher: createChartFetcher({ cacheDir: join(o.cacheDir, "charts", "pulled"), log: o.log }),
      credentialDirs: o.repositoryCredentialDirs ?? [],
      ...(o.repositoryUrls ? { allowedUrls: o.repositoryUrls } : {}),
      log: o.log,
    });
  const emit = progressSink(o.progress);
  let lastGood: DesiredRevision | undefined;
  /** Per cluster, the revision this process last stored in berth-applied there. */
  const appliedStored = new Map<string, string>();
  /** The same commit again, and no repository index due: what was loaded and rendered still holds. */
  const reusable = (d: DesiredRevision | undefined, sha: string): d is DesiredRevision =>
    d !== undefined && d.commit === sha && (d.chartsDueAt === undefined || Date.now() < d.chartsDueAt);

  async function update(f: (s: RuntimeState) => RuntimeState): Promise<void> {
    await writeState(statePath, f(await readState(statePath, o.source.location)));
  }

  async function runOnce(opts: { dryRun?: boolean } = {}): Promise<RunReport> {
    const started = Date.now();
    const callsBefore = targets.helmCalls();
    const report = (r: Partial<RunReport>): RunReport => ({
      clusters: [],
      ...r,
      helmCalls: targets.helmCalls() - callsBefore,
      durationMs: Date.now() - started,
    });

    let rev: Revision;
    try {
      rev = await o.source.fetch();
    } catch (err) {
      const message = (err as Error).message;
      const st = o.source.status();
      o.log.warn({ err: message }, "source fetch failed; the last good revision stays applied");
      if (!opts.dryRun) {
        await update((s) => ({
          ...s,
          sourceError: { message, staleSince: (st.staleSince ?? new Date()).toISOString() },
        }));
      }
      return report({ sourceError: message });
    }

    let desired: DesiredRevision;
    try {
      desired = reusable(lastGood, rev.sha) ? lastGood : await loadRevision(rev.sha, rev.dir, o.renderer, sources);
      checkShards(desired);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      o.log.warn({ revision: rev.sha, problems: err.issues.length }, "invalid revision; nothing applied");
      if (!opts.dryRun) {
        await update((s) => {
          const { sourceError: _e, ...rest } = s;
          return { ...rest, lastFetchAt: new Date().toISOString(), lastAttemptedRevision: rev.sha, invalidRevision: { sha: rev.sha, errors: err.issues.map(formatIssue) } };
        });
      }
      return report({ revision: rev.sha, invalid: err });
    }
    if (!opts.dryRun) lastGood = desired;

    const named = desired.repo.clusters.filter((c) => !o.cluster || c.metadata.name === o.cluster);
    // A dry pass reads every cluster; a real one acts for this replica's shards only, and reads the others' rollout records.
    const mine = !opts.dryRun && o.actsFor ? o.actsFor() : undefined;
    const clusters = mine ? named.filter(mine) : named;
    const others = mine ? named.filter((c) => !mine(c)) : [];
    // asked again before each release's action: a shard lost mid-pass starts nothing more there
    const stillMine = (name: string) => {
      const c = named.find((x) => x.metadata.name === name);
      return () => c !== undefined && o.actsFor!()(c);
    };
    const applications = declaredApps(desired.repo);
    const run = async (t: ClusterTarget, heldApps?: Map<string, string>): Promise<ClusterResult> => {
      const { result, ms } = await trackCluster(emit, t.name, opts.dryRun ? "read" : "reconcile", () => reconcileCluster(t, {
        commit: desired.commit,
        desired: desired.byCluster.get(t.name) ?? [],
        applications,
        ...(heldApps ? { heldApps } : {}),
        chartDir: chartPathFor({ charts: desired.charts, chartPins: desired.repo.chartPins }, charts, sources),
        log: o.log.child({ revision: desired.commit }),
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        ...(o.helmTimeoutMs ? { helmTimeoutMs: o.helmTimeoutMs } : {}),
        ...(o.stepTimeoutMs ? { stepTimeoutMs: o.stepTimeoutMs } : {}),
        ...(o.healthTimeoutMs ? { healthTimeoutMs: o.healthTimeoutMs } : {}),
        ...(o.retry ? { retry: o.retry } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(mine && o.actsFor ? { mayAct: stillMine(t.name) } : {}),
        progress: emit,
      }), (r) => r);
      return { ...result, durationMs: ms };
    };
    const { results, rollout } = await runRollout({
      repo: desired.repo,
      byCluster: desired.byCluster,
      revision: desired.commit,
      clusters: targets.targets(clusters),
      ...(others.length ? { observe: targets.targets(others) } : {}),
      run,
      emit,
      log: o.log.child({ revision: desired.commit }),
      ...(opts.dryRun ? { dryRun: true } : {}),
    });

    if (!opts.dryRun) {
      const now = new Date();
      await recordApplied(results, desired, now);
      await update((s) => {
        let next: RuntimeState = { ...s, lastFetchAt: now.toISOString(), lastAttemptedRevision: rev.sha };
        delete next.sourceError;
        delete next.invalidRevision;
        const failed = results.some((r) => !r.reachable || r.releases.some((x) => x.outcome === "failed"));
        if (!failed) {
          next.lastAppliedRevision = rev.sha;
          next.lastAppliedDir = rev.dir;
        }
        for (const r of results) next = markCluster(next, r.cluster, r.reachable, now, r.error);
        return next;
      });
    }
    return report({ revision: rev.sha, desired, clusters: results, rollout });
  }

  async function snapshot() {
    const report = await runOnce({ dryRun: true });
    const state = await readState(statePath, o.source.location);
    let desired = report.desired;
    if (!desired && state.lastAppliedRevision && state.lastAppliedDir) {
      // The source is unreachable or the newest revision invalid: show what the last good one asked for.
      desired = await loadRevision(state.lastAppliedRevision, state.lastAppliedDir, o.renderer, sources).catch(() => undefined);
    }
    const blocked = new Map<string, string>();
    for (const c of report.clusters) {
      for (const r of c.releases) if (r.final.action.kind === "blocked") blocked.set(`${c.cluster}/${r.name}`, r.final.action.reason);
    }
    const clusters = desired ? desired.repo.clusters.filter((c) => !o.cluster || c.metadata.name === o.cluster) : [];
    const shardOfName = new Map(clusters.map((c) => [c.metadata.name, o.shards ? shardOf(c, o.shards) : undefined]));
    const status: StatusSnapshot = {
      source: o.source.location,
      ...(desired ? { revision: desired.commit } : {}),
      ...(state.lastAppliedRevision ? { lastAppliedRevision: state.lastAppliedRevision } : {}),
      ...(report.sourceError ? { sourceStale: { since: state.sourceError?.staleSince ?? new Date().toISOString(), error: report.sourceError } } : {}),
      ...(report.rollout?.length ? { rollout: report.rollout } : {}),
      ...(report.invalid && report.revision ? { invalidRevision: { sha: report.revision, errors: report.invalid.issues.map(formatIssue) } } : {}),
      clusters: await Promise.all(
        targets.targets(clusters).map((t) => {
          const run = report.clusters.find((c) => c.cluster === t.name);
          // the dry pass has just observed it (or waited out its timeout): not again
          const seen = run?.observation ?? (run && !run.reachable ? { unreachable: run.error ?? "unreachable" } : undefined);
          return withApplied(t, shardOfName.get(t.name), clusterStatus(t, desired?.byCluster.get(t.name) ?? [], { runtime: state, ...(seen ? { seen } : {}), blocked }));
        }),
      ),
    };
    if (o.actsFor) {
      // sharded: no replica's own file knows every cluster; the revision all of them store, if they agree
      const stored = new Set(status.clusters.map((c) => c.lastAppliedRevision));
      const [only] = stored;
      if (stored.size === 1 && only) status.lastAppliedRevision = only;
      else delete status.lastAppliedRevision;
    }
    return { status, blocked, report };
  }

  async function driftOnce(opts: DriftRunOptions = {}): Promise<DriftRun> {
    let desired = lastGood;
    if (!desired) {
      const r = await runOnce({ dryRun: true });
      desired = r.desired;
      if (!desired) return { ...(r.revision ? { revision: r.revision } : {}), error: r.sourceError ?? r.invalid?.message ?? "no valid revision", reports: [] };
    }
    const d = desired;
    const policyOf = driftPolicyOf(d.repo);
    const policy = opts.policy ? () => opts.policy! : policyOf;
    // drift may be corrected: only where this replica acts
    const mine = o.actsFor?.();
    const clusters = d.repo.clusters.filter((c) => (!o.cluster || c.metadata.name === o.cluster) && (!mine || mine(c)));
    const per = await Promise.all(
      targets.targets(clusters).map((t) =>
        trackDrift(emit, t.name, d.byCluster.get(t.name) ?? [], opts.onDrift, (desired, onDrift) =>
          checkDrift(t, desired, policy, {
            log: o.log.child({ revision: d.commit }),
            commit: d.commit,
            helmBinary: o.helmBinary,
            onDrift,
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          }),
        ),
      ),
    );
    return { revision: d.commit, reports: per.flat() };
  }

  /** A revision whose Clusters name shards berth does not run is invalid (nothing applied), as any other invalid field. */
  function checkShards(d: DesiredRevision): void {
    if (!o.shards) return;
    const bad = shardIssues(d.repo.clusters, o.shards);
    if (bad.length) throw new ValidationError(bad.map(({ cluster: c, message }) => ({ file: c.origin.file, ...c.origin.pos(["spec", "shard"]), path: "spec.shard", message })));
  }

  /**
   * Each cluster this pass left fully at the revision (nothing failed or held)
   * remembers it, and who applied it. What this process last stored per
   * cluster spares the read on a pass that changes nothing; a cluster this
   * pass did not act for (its shard went to another replica) is forgotten, so
   * it is read and written again when it comes back.
   */
  async function recordApplied(results: ClusterResult[], d: DesiredRevision, at: Date): Promise<void> {
    const replica = o.replica ?? "berth";
    const revision = d.commit;
    const byName = new Map(targets.targets(d.repo.clusters).map((t) => [t.name, t]));
    const acted = new Set(results.map((r) => r.cluster));
    for (const c of [...appliedStored.keys()]) if (!acted.has(c)) appliedStored.delete(c);
    await Promise.all(
      results
        .filter((r) => r.reachable && !r.releases.some((x) => x.outcome === "failed" || x.outcome === "blocked"))
        .map(async (r) => {
          const t = byName.get(r.cluster);
          if (!t || t.paused || appliedStored.get(r.cluster) === revision) return;
          await writeApplied(t.kube, { revision, replica, at }).then(
            () => appliedStored.set(r.cluster, revision),
            (err: Error) => o.log.warn({ cluster: r.cluster, err: err.message }, "could not store the applied revision on the cluster"),
          );
        }),
    );
  }

  /** A cluster's status with what it stores of its last applied revision (read by every replica) and its shard. */
  async function withApplied(t: ClusterTarget, shard: number | undefined, status: Promise<ClusterStatus>): Promise<ClusterStatus> {
    const s = await status;
    const rec = s.reachable ? await readApplied(t.kube).catch(() => undefined) : undefined;
    return { ...s, ...(shard !== undefined ? { shard } : {}), ...(rec ? { lastAppliedRevision: rec.revision, appliedBy: rec.replica, appliedSince: rec.since } : {}) };
  }

  const refreshCharts = () => {
    sources.refresh();
    if (lastGood) lastGood = { ...lastGood, chartsDueAt: 0 };
  };
  return { runOnce, snapshot, state: () => readState(statePath, o.source.location), checkDrift: driftOnce, refreshCharts, statePath };
}
