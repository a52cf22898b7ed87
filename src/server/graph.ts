// GET /api/v1/applications/{application}/graph: what the page draws an
// application's rollout from — per cluster, in the order the loop takes them
// (its waves in order), its releases by dependency
// level (each level waits on the ones before it), with what each needs and
// its deploy state. Built from the latest snapshot's plan, never a new read.
import { Type, type Static } from "@sinclair/typebox";
import { DEPLOY_STATES } from "../plan/deploy-state.ts";
import { dependencyLevels } from "../plan/levels.ts";
import { appWaves } from "../plan/waves.ts";
import { AppRollout, ErrorBody, StringEnum } from "./api-schemas.ts";
import { defineRoute, HttpError, type Route } from "./router.ts";
import type { ServeState, Snapshot } from "./state.ts";

export const GraphNode = Type.Object(
  {
    name: Type.String(),
    application: Type.Optional(Type.String({ description: "another application's release this one needs (requires)" })),
    level: Type.Integer({ description: "0 needs nothing here; else one past the highest level it needs" }),
    needs: Type.Array(Type.String(), { description: "the releases on this cluster it waits for, healthy" }),
    state: Type.Optional(StringEnum(DEPLOY_STATES)),
    stateReason: Type.Optional(Type.String()),
    blocked: Type.Optional(Type.String({ description: "why it cannot act now" })),
  },
  { title: "GraphNode" },
);

export const AppGraph = Type.Object(
  {
    application: Type.String(),
    canary: Type.Array(Type.String(), { description: "the clusters of the first wave when there are several (placement.rollout.canary, or its first wave)" }),
    rollout: Type.Optional(AppRollout),
    clusters: Type.Array(
      Type.Object({
        cluster: Type.String(),
        wave: Type.Integer({ description: "the cluster's wave for this application (placement.rollout), from 1" }),
        reachable: Type.Boolean(),
        error: Type.Optional(Type.String()),
        nodes: Type.Array(GraphNode, { description: "by level, then name" }),
      }),
    ),
  },
  { title: "AppGraph" },
);
export type AppGraph = Static<typeof AppGraph>;
type Node = Static<typeof GraphNode>;

/** Pure: the application's graph from a snapshot; undefined when no cluster's plan holds it. */
export function applicationGraph(snap: Pick<Snapshot, "report" | "status" | "blocked">, application: string): AppGraph | undefined {
  const repo = snap.report.desired?.repo;
  const app = repo?.applications.find((a) => a.metadata.name === application);
  const waves = app && repo ? appWaves(app, repo.clusters) : [];
  const waveOf = (cluster: string) => waves.find((w) => w.clusters.includes(cluster))?.index ?? 1;
  const canary = waves.length > 1 ? waves[0]!.clusters : [];
  const rollout = snap.report.rollout?.find((r) => r.application === application);
  const clusters: AppGraph["clusters"] = [];
  for (const c of snap.report.clusters) {
    const planned = c.plan?.releases ?? [];
    const ours = planned.filter((r) => r.application === application);
    if (ours.length === 0) continue;
    // the releases of other applications it needs are drawn too, at their own level
    const names = new Set(ours.flatMap((r) => [r.name, ...r.needs]));
    const inPicture = planned.filter((r) => names.has(r.name));
    const needs = new Map(inPicture.map((r) => [r.name, r.needs.filter((n) => names.has(n))]));
    const levels = dependencyLevels(needs);
    const rows = snap.status.clusters.find((s) => s.name === c.cluster)?.releases ?? [];
    const nodes = inPicture.map((r): Node => {
      const row = rows.find((x) => x.name === r.name && x.namespace === r.namespace);
      const blocked = snap.blocked.get(`${c.cluster}/${r.name}`);
      return {
        name: r.name,
        ...(r.application !== application && r.application ? { application: r.application } : {}),
        level: levels.get(r.name) ?? 0,
        needs: needs.get(r.name) ?? [],
        ...(row ? { state: row.state, stateReason: row.stateReason } : {}),
        ...(blocked ? { blocked } : {}),
      };
    });
    nodes.sort((a, b) => a.level - b.level || a.name.localeCompare(b.name));
    clusters.push({ cluster: c.cluster, wave: waveOf(c.cluster), reachable: c.reachable, ...(c.error ? { error: c.error } : {}), nodes });
  }
  if (clusters.length === 0) return undefined;
  // the loop's order: the first wave, then the rest (stable within each)
  clusters.sort((a, b) => a.wave - b.wave);
  return { application, canary, ...(rollout ? { rollout } : {}), clusters };
}

export function graphRoute(state: ServeState): Route {
  return defineRoute({
    method: "GET",
    path: "/api/v1/applications/{application}/graph",
    summary: "An application's releases per cluster by dependency level, canary clusters first (from the latest plan)",
    access: "read",
    params: Type.Object({ application: Type.String({ description: "an Application's name" }) }),
    responses: {
      200: { description: "OK", schema: AppGraph },
      404: { description: "No cluster's plan holds the application", schema: ErrorBody },
      503: { description: "No status yet: the first reconcile has not finished", schema: ErrorBody },
    },
    handle: ({ send, params }) => {
      if (!state.snapshot) throw new HttpError(503, "no status yet: the first reconcile has not finished");
      const g = applicationGraph(state.snapshot, params.application);
      if (!g) throw new HttpError(404, `no cluster's plan holds application ${params.application}`);
      send(200, g);
    },
  });
}
