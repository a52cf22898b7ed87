// The read API under /api/v1, answered from the latest snapshot the loop
// took (never from a request-time helm or git call), plus a release's history
// read from its record on the cluster.
import type { ActionRecord } from "../reconcile/memo.ts";
import type { DriftRun } from "../reconcile/loop.ts";
import { Type, type Static } from "@sinclair/typebox";
import { planView, runView } from "../reconcile/views.ts";
import { formatDrift } from "../reconcile/drift.ts";
import { Application, ClusterSummary, DriftQuery, DriftRun as DriftRunBody, ErrorBody, History, HistoryQuery, Plan, Release, ReleaseParams, ReleasesQuery, Run, Status } from "./api-schemas.ts";
import { defineRoute, HttpError, type Route } from "./router.ts";
import type { ServeState, Snapshot } from "./state.ts";

export interface ReleaseHistory {
  cluster: string;
  release: string;
  namespace: string;
  suspended: boolean;
  /** Oldest first. */
  records: ActionRecord[];
}

export interface HistoryOptions {
  /** With each step's logs (they may hold secrets a migration printed). */
  logs: boolean;
}

export interface ApiOptions {
  state: ServeState;
  /** A release's recorded actions; throws HttpError(404) when the cluster or release is unknown. */
  history(cluster: string, release: string, namespace: string | undefined, o: HistoryOptions): Promise<ReleaseHistory>;
}

/** Records as a reader without a token may see them: without step logs. */
function withoutStepLogs(records: ActionRecord[]): ActionRecord[] {
  return records.map((r) => ({ ...r, steps: r.steps.map(({ logs: _l, ...s }) => s) }));
}

function need(s: ServeState): Snapshot {
  if (!s.snapshot) throw new HttpError(503, "no status yet: the first reconcile has not finished");
  return s.snapshot;
}

/** Drifted fields per `cluster/release`, from the leader's last drift check, for the status answer. */
function driftView(run: DriftRun | undefined): { drift?: Record<string, string[]> } {
  const drifted = (run?.reports ?? []).filter((r) => r.count > 0 && !r.corrected);
  if (drifted.length === 0) return {};
  return { drift: Object.fromEntries(drifted.map((r) => [`${r.cluster}/${r.release}`, r.drifted.flatMap(formatDrift)])) };
}

/** The answer of GET /api/v1/status (and each `status` event of /api/v1/live). */
export function statusBody(state: ServeState, s: Snapshot): Static<typeof Status> {
  return { ...s.status, blocked: Object.fromEntries(s.blocked), ...driftView(state.drift?.run), observedAt: s.at.toISOString(), leader: state.leader, ...(state.shards ? { shards: state.shards() } : {}) };
}

const noSnapshot = { 503: { description: "No status yet: the first reconcile has not finished", schema: ErrorBody } } as const;

/**
 * The application a release belongs to, from the latest snapshot: what an
 * action route's access names (an operator acts on its applications only).
 */
export function releaseApplication(state: ServeState): (params: Readonly<Record<string, string>>) => string | undefined {
  return (p) => state.snapshot?.status.clusters.find((c) => c.name === p.cluster)?.releases.find((r) => r.name === p.release)?.application;
}

export function apiRoutes(o: ApiOptions): Route[] {
  const { state } = o;
  return [
    defineRoute({
      method: "GET",
      path: "/api/v1/status",
      summary: "Per cluster and release: desired and deployed version, health, last action, last error",
      access: "read",
      responses: { 200: { description: "OK", schema: Status }, ...noSnapshot },
      handle: ({ send }) => send(200, statusBody(state, need(state))),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/clusters",
      summary: "Clusters with reachability and release counts",
      access: "read",
      responses: { 200: { description: "OK", schema: Type.Array(ClusterSummary) }, ...noSnapshot },
      handle: ({ send }) => {
        const s = need(state);
        send(
          200,
          s.status.clusters.map((c) => ({
            name: c.name,
            reachable: c.reachable,
            paused: c.paused,
            ...(c.since ? { since: c.since } : {}),
            ...(c.error ? { error: c.error } : {}),
            releases: c.releases.length,
            healthy: c.releases.filter((r) => r.health === "healthy").length,
          })),
        );
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/applications",
      summary: "Applications with their releases per cluster",
      access: "read",
      responses: { 200: { description: "OK", schema: Type.Array(Application) }, ...noSnapshot },
      handle: ({ send }) => {
        const s = need(state);
        const apps = new Map<string, { name: string; clusters: Record<string, { releases: number; healthy: number }> }>();
        for (const c of s.status.clusters) {
          for (const r of c.releases) {
            const name = r.application ?? "-";
            const app = apps.get(name) ?? { name, clusters: {} };
            const cell = (app.clusters[c.name] ??= { releases: 0, healthy: 0 });
            cell.releases++;
            if (r.health === "healthy") cell.healthy++;
            apps.set(name, app);
          }
        }
        send(200, [...apps.values()].sort((a, b) => a.name.localeCompare(b.name)));
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/releases",
      summary: "Every release on every cluster",
      access: "read",
      query: ReleasesQuery,
      responses: { 200: { description: "OK", schema: Type.Array(Release) }, ...noSnapshot },
      handle: ({ send, query }) => {
        const s = need(state);
        const rows = s.status.clusters
          .filter((c) => !query.cluster || c.name === query.cluster)
          .flatMap((c) =>
            c.releases
              .filter((r) => !query.application || r.application === query.application)
              .map((r) => {
                const blocked = s.blocked.get(`${c.name}/${r.name}`);
                return { cluster: c.name, ...r, ...(blocked ? { blocked } : {}) };
              }),
          );
        send(200, rows);
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/clusters/{cluster}/releases/{release}/history",
      summary: "Every action berth took on a release, oldest first; step logs only to a request with a token",
      access: "read",
      params: ReleaseParams,
      query: HistoryQuery,
      responses: { 200: { description: "OK", schema: History }, 404: { description: "Unknown cluster or release", schema: ErrorBody }, 502: { description: "The cluster could not answer", schema: ErrorBody } },
      handle: async ({ send, params, query, identity }) => {
        // Step logs need a token (any role): without --auth-file there is none, and they are never served.
        const logs = identity !== undefined;
        const h = await o.history(params.cluster, params.release, query.namespace, { logs });
        // Step logs only with a token, whatever the history source returned.
        send(200, logs ? h : { ...h, records: withoutStepLogs(h.records) });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/plan",
      summary: "What the next reconcile would do (the latest dry run)",
      access: "read",
      responses: { 200: { description: "OK", schema: Plan }, ...noSnapshot },
      handle: ({ send }) => send(200, { ...planView(need(state).report), observedAt: need(state).at.toISOString() }),
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/runs/latest",
      summary: "The last reconcile run: what each release did",
      access: "read",
      responses: { 200: { description: "OK", schema: Run }, 404: { description: "No run yet, or this replica does not lead", schema: ErrorBody } },
      handle: ({ send }) => {
        if (!state.lastRun) throw new HttpError(404, state.leader ? "no reconcile has finished yet" : "this replica is not the leader and does not reconcile");
        send(200, { ...runView(state.lastRun), ...(state.lastRunAt ? { endedAt: state.lastRunAt.toISOString() } : {}) });
      },
    }),
    defineRoute({
      method: "GET",
      path: "/api/v1/drift",
      summary: "The leader's last drift check: per release, the fields of live objects that differ from what Helm applied",
      access: "read",
      query: DriftQuery,
      responses: { 200: { description: "OK", schema: DriftRunBody }, 404: { description: "No drift check yet, or this replica does not lead", schema: ErrorBody } },
      handle: ({ send, query }) => {
        if (!state.drift) throw new HttpError(404, state.leader ? "no drift check has run yet (see --drift-interval)" : "this replica is not the leader and does not check drift");
        const { run, at } = state.drift;
        // Field values stay in: a Secret's are redacted when the drift is detected.
        send(200, { ...run, reports: run.reports.filter((r) => !query.cluster || r.cluster === query.cluster), checkedAt: at.toISOString() });
      },
    }),
  ];
}
