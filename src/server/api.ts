// The read API under /api/v1, answered from the latest snapshot the loop
// took (never from a request-time helm or git call), plus a release's history
// read from its record on the cluster.
import type { IncomingMessage } from "node:http";
import type { ActionRecord } from "../reconcile/memo.ts";
import type { DriftRun } from "../reconcile/loop.ts";
import { planView, runView } from "../reconcile/views.ts";
import { formatDrift } from "../reconcile/drift.ts";
import { HttpError, sendJson, type Route } from "./router.ts";
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
  /**
   * Whether a request carries a token the operator's --auth-file knows (any
   * role). Absent (no --auth-file), no request is authenticated, and what needs
   * a token (step logs in history) is never served.
   */
  authenticated?(req: IncomingMessage): boolean;
}

/** Records as an unauthenticated reader may see them: without step logs. */
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

export function apiRoutes(o: ApiOptions): Route[] {
  const { state } = o;
  return [
    {
      method: "GET",
      path: "/api/v1/status",
      handle: ({ res }) => {
        const s = need(state);
        sendJson(res, 200, { ...s.status, blocked: Object.fromEntries(s.blocked), ...driftView(state.drift?.run), observedAt: s.at.toISOString(), leader: state.leader });
      },
    },
    {
      method: "GET",
      path: "/api/v1/clusters",
      handle: ({ res }) => {
        const s = need(state);
        sendJson(
          res,
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
    },
    {
      method: "GET",
      path: "/api/v1/applications",
      handle: ({ res }) => {
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
        sendJson(res, 200, [...apps.values()].sort((a, b) => a.name.localeCompare(b.name)));
      },
    },
    {
      method: "GET",
      path: "/api/v1/releases",
      handle: ({ res, query }) => {
        const s = need(state);
        const cluster = query.get("cluster");
        const application = query.get("application");
        const rows = s.status.clusters
          .filter((c) => !cluster || c.name === cluster)
          .flatMap((c) =>
            c.releases
              .filter((r) => !application || r.application === application)
              .map((r) => {
                const blocked = s.blocked.get(`${c.name}/${r.name}`);
                return { cluster: c.name, ...r, ...(blocked ? { blocked } : {}) };
              }),
          );
        sendJson(res, 200, rows);
      },
    },
    {
      method: "GET",
      path: "/api/v1/clusters/{cluster}/releases/{release}/history",
      handle: async ({ req, res, params, query }) => {
        const ns = query.get("namespace") ?? undefined;
        const logs = o.authenticated?.(req) ?? false;
        const h = await o.history(params.cluster!, params.release!, ns, { logs });
        // Step logs only with a token, whatever the history source returned.
        sendJson(res, 200, logs ? h : { ...h, records: withoutStepLogs(h.records) });
      },
    },
    {
      method: "GET",
      path: "/api/v1/plan",
      handle: ({ res }) => sendJson(res, 200, { ...planView(need(state).report), observedAt: need(state).at.toISOString() }),
    },
    {
      method: "GET",
      path: "/api/v1/runs/latest",
      handle: ({ res }) => {
        if (!state.lastRun) throw new HttpError(404, state.leader ? "no reconcile has finished yet" : "this replica is not the leader and does not reconcile");
        sendJson(res, 200, { ...runView(state.lastRun), ...(state.lastRunAt ? { endedAt: state.lastRunAt.toISOString() } : {}) });
      },
    },
    {
      method: "GET",
      path: "/api/v1/drift",
      handle: ({ res, query }) => {
        if (!state.drift) throw new HttpError(404, state.leader ? "no drift check has run yet (see --drift-interval)" : "this replica is not the leader and does not check drift");
        const cluster = query.get("cluster");
        const { run, at } = state.drift;
        // Field values stay in: a Secret's are redacted when the drift is detected.
        sendJson(res, 200, { ...run, reports: run.reports.filter((r) => !cluster || r.cluster === cluster), checkedAt: at.toISOString() });
      },
    },
  ];
}
