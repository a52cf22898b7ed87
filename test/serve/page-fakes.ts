// Stand-ins for the per-release routes (objects, pods, events, logs with
// follow, and the actions) with the paths, access and answer shapes of the
// API, so the page's tests run against a fixed snapshot in a second. What
// the actions were asked, and by whom, is kept for the assertions. The real
// routes are driven by page-serve.int.test.ts against a real berth serve.
import type { ActionRecord } from "../../src/reconcile/memo.ts";
import type { EventsAnswer, LogsAnswer, ObjectsAnswer, PodsAnswer } from "../../src/reconcile/inspect.ts";
import { releaseApplication } from "../../src/server/api.ts";
import { ActionResult, ErrorBody, LogsQuery, PodLog, ReleaseEvents, ReleaseObjects, ReleaseParams, ReleasePods, ReleaseQuery } from "../../src/server/api-schemas.ts";
import { sseData, sseEvent } from "../../src/server/release-reads.ts";
import { defineRoute, HttpError, type Route } from "../../src/server/router.ts";
import type { ServeState } from "../../src/server/state.ts";
import { record, SHA1 } from "../unit/helpers/serve-fixtures.ts";

export interface FakeCalls {
  actions: Array<{ kind: string; cluster: string; release: string; by?: string; body: unknown }>;
  /** Follows opened, and how many have ended (the page stopped reading). */
  follows: { opened: number; closed: number; bearer: string[] };
  /** Records the actions added, appended to the history. */
  records: ActionRecord[];
}

export const fakeCalls = (): FakeCalls => ({ actions: [], follows: { opened: 0, closed: 0, bearer: [] }, records: [] });

const base = "/api/v1/clusters/{cluster}/releases/{release}";
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

export function fakeReleaseRoutes(calls: FakeCalls): (state: ServeState) => Route[] {
  const restarted = (cluster: string, release: string) => calls.actions.some((a) => a.kind === "restart" && a.cluster === cluster && a.release === release);
  const pod = (cluster: string, release: string) => `${release}-${restarted(cluster, release) ? "6b7c9d5f4-qwert" : "7d9f8c6b5-abcde"}`;
  const answer = (p: { cluster: string; release: string }) => ({ cluster: p.cluster, release: p.release, namespace: "shop", revision: 2 });
  // each answer typed by the API's own schema: the compiler holds these fakes to it
  const get = <S extends typeof ReleaseObjects | typeof ReleasePods | typeof ReleaseEvents>(what: string, schema: S, answerOf: (p: { cluster: string; release: string }) => S["static"]): Route =>
    defineRoute({
      method: "GET",
      path: `${base}/${what}`,
      summary: `fake ${what}`,
      access: "read",
      params: ReleaseParams,
      query: ReleaseQuery,
      responses: { 200: { description: "OK", schema: schema as typeof ReleaseObjects } },
      handle: ({ send, params }) => send(200, answerOf(params) as typeof ReleaseObjects.static),
    });
  return (state) => {
    const action = (kind: string): Route =>
      defineRoute({
        method: "POST",
        path: `${base}/${kind}`,
        summary: `fake ${kind}`,
        access: { action: releaseApplication(state) },
        params: ReleaseParams,
        query: ReleaseQuery,
        responses: { 200: { description: "OK", schema: ActionResult } },
        handle: async ({ req, send, params, identity }) => {
          const raw = await new Promise<string>((resolve) => {
            let text = "";
            req.on("data", (c: Buffer) => (text += c.toString()));
            req.on("end", () => resolve(text));
          });
          const body: unknown = raw ? JSON.parse(raw) : undefined;
          calls.actions.push({ kind, cluster: params.cluster, release: params.release, ...(identity ? { by: identity.name } : {}), body });
          const rec = record({
            at: new Date().toISOString(),
            cluster: params.cluster,
            release: params.release,
            action: kind === "restart" ? "restart" : kind === "rollback" ? "rollback" : "upgrade",
            commit: SHA1,
            ...(kind === "restart" ? { restarted: [`Deployment/${params.release}`] } : {}),
            ...(identity ? { actor: { name: identity.name, role: identity.role } } : {}),
          });
          calls.records.push(rec);
          send(200, { message: kind === "restart" ? `restarted Deployment/${params.release} of ${params.release} on ${params.cluster}` : `${kind} of ${params.release} on ${params.cluster} done`, record: rec });
        },
      });
    return [
      get("objects", ReleaseObjects, (p): ObjectsAnswer => ({
        ...answer(p),
        objects: [
          { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: p.release, state: "ready", message: "1/1 available", createdAt: minutesAgo(90) },
          { apiVersion: "v1", kind: "Service", namespace: "shop", name: p.release, state: "exists", message: "ClusterIP 10.96.0.12", createdAt: minutesAgo(90) },
          { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: `${p.release}-config`, state: "exists", createdAt: minutesAgo(90) },
        ],
      })),
      get("pods", ReleasePods, (p): PodsAnswer => ({
        ...answer(p),
        pods: [
          {
            name: pod(p.cluster, p.release),
            namespace: "shop",
            phase: "Running",
            status: "Running",
            ready: "1/1",
            restarts: restarted(p.cluster, p.release) ? 0 : 2,
            node: "kwok-node-0",
            images: ["registry.example.com/shop/api:3.0.6"],
            createdAt: minutesAgo(restarted(p.cluster, p.release) ? 0 : 42),
            owner: { kind: "ReplicaSet", name: pod(p.cluster, p.release).replace(/-[a-z]+$/, "") },
            workload: { kind: "Deployment", name: p.release },
            defaultContainer: "app",
            containers: [
              { name: "migrate", image: "registry.example.com/shop/migrate:3.0.6", init: true, ready: false, restarts: 0, state: "terminated (Completed, exit 0)" },
              { name: "app", image: "registry.example.com/shop/api:3.0.6", ready: true, restarts: 0, state: "running" },
            ],
          },
        ],
      })),
      get("events", ReleaseEvents, (p): EventsAnswer => ({
        ...answer(p),
        truncated: false,
        events: [
          ...(restarted(p.cluster, p.release) ? [{ type: "Normal", reason: "ScalingReplicaSet", message: `Scaled up replica set ${pod(p.cluster, p.release).replace(/-[a-z]+$/, "")} to 1`, count: 1, lastTime: minutesAgo(0), object: { kind: "Deployment", name: p.release, namespace: "shop" }, source: "deployment-controller" }] : []),
          { type: "Warning", reason: "BackOff", message: "Back-off restarting failed container app", count: 2, lastTime: minutesAgo(30), object: { kind: "Pod", name: pod(p.cluster, p.release), namespace: "shop" }, source: "kubelet" },
          { type: "Normal", reason: "Pulled", message: "Container image registry.example.com/shop/api:3.0.6 already present on machine", count: 1, lastTime: minutesAgo(41), object: { kind: "Pod", name: pod(p.cluster, p.release), namespace: "shop" }, source: "kubelet" },
        ],
      })),
      defineRoute({
        method: "GET",
        path: `${base}/logs`,
        summary: "fake logs",
        access: "read",
        params: ReleaseParams,
        query: LogsQuery,
        responses: { 200: { description: "OK", schema: PodLog, stream: "text/event-stream" }, 400: { description: "not its pod", schema: ErrorBody } },
        handle: ({ req, res, send, params, query }) => {
          if (query.pod !== pod(params.cluster, params.release)) throw new HttpError(400, `pod ${query.pod} is not one of release shop/${params.release}'s pods`);
          const container = query.container ?? "app";
          if (!query.follow) {
            const text = Array.from({ length: Math.min(query.tail ?? 5, 5) }, (_, i) => `${container} started line ${i + 1}`).join("\n") + "\n";
            const a: LogsAnswer = { ...answer(params), pod: query.pod, container, previous: Boolean(query.previous), text, truncated: false };
            return send(200, a);
          }
          calls.follows.opened++;
          calls.follows.bearer.push(req.headers.authorization ? "bearer" : "none");
          // as the real route streams: open, then a message per line, now and then two at once
          res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" });
          res.write(sseEvent("open", JSON.stringify({ ...answer(params), pod: query.pod, container, previous: false })));
          let n = 0;
          const line = () => sseData(`${container} GET /healthz 200 (request ${++n})`);
          const tick = setInterval(() => res.write(n % 3 ? line() : line() + line()), 100);
          res.on("close", () => {
            clearInterval(tick);
            calls.follows.closed++;
          });
        },
      }),
      action("restart"),
      action("sync"),
      action("rollback"),
      action("resume"),
    ];
  };
}
