// Prometheus metrics of a running berth, on a registry of its own (no global
// state: every server and every test has its own). Fed from each RunReport,
// from the helm adapter's onCall hook, and by drift detection via setDrift.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RunReport } from "../reconcile/loop.ts";
import type { StatusSnapshot } from "../reconcile/status.ts";
import { defineRoute, sendText, type Route } from "./router.ts";

export interface Metrics {
  readonly registry: Registry;
  /** Everything one reconcile run tells: durations, actions, fetch errors, attempted revision. */
  observeRun(report: RunReport): void;
  /** What a status snapshot shows: the applied revision, cluster reachability, releases by health. */
  observeStatus(status: StatusSnapshot): void;
  /** Helm adapter hook (ReconcilerOptions.onHelmCall). */
  onHelmCall(cluster: string, verb: string, ms: number, ok: boolean): void;
  /** Number of drifted fields of one release (drift detection calls this after each check). */
  setDrift(cluster: string, release: string, count: number): void;
  setLeader(leading: boolean): void;
  /** With --shards: which of the K shards this replica acts for, and so which clusters (by their shard in the status). */
  setShards(shards: number, acting: readonly number[], clusters: ReadonlyArray<{ name: string; shard?: number }>): void;
  /** A fetch that failed outside a run (a follower's status read). */
  countFetchError(): void;
  /** One notification's end: sent, failed, refused (the operator's rules), dropped (queue full, stopping) or already-sent (remembered on the cluster). */
  countNotification(sink: string, event: string, outcome: string): void;
  /** One POST /hooks/git: accepted (a fetch), ignored (verified, not a push to the followed ref) or rejected (signature, size). */
  countWebhook(provider: string, outcome: "accepted" | "ignored" | "rejected"): void;
  /** The exposition text and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
}

export interface MetricsOptions {
  /** Also export the process metrics (CPU, memory, event loop) with a `berth_` prefix. */
  processMetrics?: boolean;
}

const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export function createMetrics(o: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (o.processMetrics) collectDefaultMetrics({ register: registry, prefix: "berth_" });

  const reconcileDuration = new Histogram({
    name: "berth_reconcile_duration_seconds",
    help: "Time one reconcile of one cluster took (observe, plan, act).",
    labelNames: ["cluster"],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const runs = new Counter({
    name: "berth_reconcile_runs_total",
    help: "Reconcile runs by result: ok, failed (an action failed or a cluster is unreachable), invalid (revision), source_error.",
    labelNames: ["result"],
    registers,
  });
  const actions = new Counter({
    name: "berth_actions_total",
    help: "Actions taken on releases, by cluster, kind (install, upgrade, rollback, remediate, unlock, uninstall) and result.",
    labelNames: ["cluster", "action", "result"],
    registers,
  });
  const applied = new Gauge({
    name: "berth_last_applied_revision_info",
    help: "The git revision every cluster was last fully reconciled to (value 1, revision in the label).",
    labelNames: ["revision"],
    registers,
  });
  const attempted = new Gauge({
    name: "berth_last_attempted_revision_info",
    help: "The git revision of the last reconcile attempt, valid or not (value 1, revision in the label).",
    labelNames: ["revision"],
    registers,
  });
  const lastRunAt = new Gauge({
    name: "berth_last_reconcile_timestamp_seconds",
    help: "Unix time the last reconcile run ended.",
    registers,
  });
  const drift = new Gauge({
    name: "berth_drift_fields",
    help: "Fields of a release's live objects that differ from what Helm applied.",
    labelNames: ["cluster", "release"],
    registers,
  });
  const fetchErrors = new Counter({
    name: "berth_git_fetch_errors_total",
    help: "Failed fetches of the definitions source.",
    registers,
  });
  const invalid = new Counter({
    name: "berth_invalid_revisions_total",
    help: "Reconcile runs that met an invalid revision (nothing applied).",
    registers,
  });
  const helmCalls = new Counter({
    name: "berth_helm_calls_total",
    help: "Helm processes run, by cluster, verb and result.",
    labelNames: ["cluster", "verb", "result"],
    registers,
  });
  const helmDuration = new Histogram({
    name: "berth_helm_call_duration_seconds",
    help: "Duration of helm processes, by cluster and verb.",
    labelNames: ["cluster", "verb"],
    buckets: SECONDS_BUCKETS,
    registers,
  });
  const reachable = new Gauge({
    name: "berth_cluster_reachable",
    help: "1 when the cluster's API server answered the last status read, else 0.",
    labelNames: ["cluster"],
    registers,
  });
  const releases = new Gauge({
    name: "berth_releases",
    help: "Releases per cluster by health (healthy, unhealthy, absent, unknown) at the last status read.",
    labelNames: ["cluster", "health"],
    registers,
  });
  const leader = new Gauge({
    name: "berth_leader",
    help: "1 when this replica is the leader and acts, 0 when it only serves the read API.",
    registers,
  });
  leader.set(1);
  const notifications = new Counter({
    name: "berth_notifications_total",
    help: "Notifications by sink kind (webhook, slack, commitStatus), event (failed, blocked, waiting-approval, succeeded, drift; commit statuses pending, success, failure) and outcome (sent, failed, refused, dropped, already-sent).",
    labelNames: ["sink", "event", "outcome"],
    registers,
  });

  const webhooks = new Counter({
    name: "berth_webhook_deliveries_total",
    help: "POST /hooks/git deliveries by provider (github, gitea, gitlab; unknown when unverified and unnamed) and outcome: accepted (a push to the followed ref: a fetch), ignored (verified, but another event or ref), rejected (bad signature, too large).",
    labelNames: ["provider", "outcome"],
    registers,
  });

  const clusterApplied = new Gauge({
    name: "berth_cluster_applied_revision_info",
    help: "Per cluster, the git revision it was last fully reconciled to and the replica that did it, as the cluster stores it (value 1).",
    labelNames: ["cluster", "revision", "replica"],
    registers,
  });
  const shardHeld = new Gauge({
    name: "berth_shard_held",
    help: "With --shards: 1 for each shard this replica holds and acts for, 0 for the others.",
    labelNames: ["shard"],
    registers,
  });
  const clusterActing = new Gauge({
    name: "berth_cluster_acting",
    help: "With --shards: 1 for each cluster this replica acts for (its shard is held here), 0 for those it only reads.",
    labelNames: ["cluster", "shard"],
    registers,
  });

  // An info gauge has one series: the current revision.
  const setInfo = (g: Gauge, revision: string | undefined) => {
    g.reset();
    if (revision) g.set({ revision }, 1);
  };

  return {
    registry,
    observeRun(r) {
      if (r.sourceError) {
        fetchErrors.inc();
        runs.inc({ result: "source_error" });
      } else if (r.invalid) {
        invalid.inc();
        runs.inc({ result: "invalid" });
      } else {
        const failed = r.clusters.some((c) => !c.reachable || c.releases.some((x) => x.outcome === "failed"));
        runs.inc({ result: failed ? "failed" : "ok" });
      }
      if (r.revision) setInfo(attempted, r.revision);
      for (const c of r.clusters) {
        reconcileDuration.observe({ cluster: c.cluster }, (c.durationMs ?? r.durationMs) / 1000);
        for (const rel of c.releases) {
          for (const rec of rel.records) actions.inc({ cluster: c.cluster, action: rec.action, result: rec.result });
        }
      }
      lastRunAt.set(Date.now() / 1000);
    },
    observeStatus(st) {
      setInfo(applied, st.lastAppliedRevision);
      reachable.reset();
      releases.reset();
      clusterApplied.reset();
      for (const c of st.clusters) if (c.lastAppliedRevision) clusterApplied.set({ cluster: c.name, revision: c.lastAppliedRevision, replica: c.appliedBy ?? "" }, 1);
      for (const c of st.clusters) {
        reachable.set({ cluster: c.name }, c.reachable ? 1 : 0);
        if (!c.reachable) continue;
        for (const health of ["healthy", "unhealthy", "absent", "unknown"] as const) {
          releases.set({ cluster: c.name, health }, c.releases.filter((r) => r.health === health).length);
        }
      }
    },
    onHelmCall(cluster, verb, ms, ok) {
      helmCalls.inc({ cluster, verb, result: ok ? "ok" : "failed" });
      helmDuration.observe({ cluster, verb }, ms / 1000);
    },
    setDrift: (cluster, release, count) => drift.set({ cluster, release }, count),
    setLeader: (leading) => leader.set(leading ? 1 : 0),
    setShards(shards, acting, clusters) {
      const mine = new Set(acting);
      shardHeld.reset();
      for (let s = 0; s < shards; s++) shardHeld.set({ shard: String(s) }, mine.has(s) ? 1 : 0);
      clusterActing.reset();
      for (const c of clusters) if (c.shard !== undefined) clusterActing.set({ cluster: c.name, shard: String(c.shard) }, mine.has(c.shard) ? 1 : 0);
    },
    countFetchError: () => fetchErrors.inc(),
    countNotification: (sink, event, outcome) => notifications.inc({ sink, event, outcome }),
    countWebhook: (provider, outcome) => webhooks.inc({ provider, outcome }),
    async render() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

export function metricsRoute(m: Metrics): Route {
  return defineRoute({
    method: "GET",
    path: "/metrics",
    summary: "Prometheus metrics",
    // Prometheus scrapes it over the pod IP; it names releases and clusters, never values or secrets.
    access: "public",
    responses: { 200: { description: "OK", contentType: "text/plain" } },
    async handle({ res }) {
      const { body, contentType } = await m.render();
      sendText(res, 200, body, contentType);
    },
  });
}
