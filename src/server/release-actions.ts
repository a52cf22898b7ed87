// POST /api/v1/clusters/{cluster}/releases/{release}/restart | sync | rollback | resume:
// what a person does to a release through the API, by the code the CLI runs
// (inspect.ts restartRelease, manual.ts manualRollback and resume), each
// recorded in the release's history with who asked (the token's name and role).
//
// berth's records of a release are read, changed and written whole. So that
// an action never overwrites what the loop writes (or the reverse), every
// action runs in the queue the leader's pass runs in (serial.ts): it waits for
// the running pass to end, a pass waits for it, and it reads the release's
// book only once its turn has come. A follower's queue does not hold the
// leader's pass: a follower refuses actions. A sync writes its record in that
// queue too, without waiting for it: it answers 202 at once.
import type { Logger } from "../log.ts";
import type { Actor } from "../reconcile/actor.ts";
import { appendRecord } from "../reconcile/correct-drift.ts";
import { inspectedRelease, restartRelease } from "../reconcile/inspect.ts";
import { manualRollback, resume } from "../reconcile/manual.ts";
import type { ActionRecord } from "../reconcile/memo.ts";
import { releaseApplication } from "./api.ts";
import { ActionFailed, ActionResult, ErrorBody, ReleaseParams, ReleaseQuery, RestartBody, RollbackBody, SyncAccepted } from "./api-schemas.ts";
import type { Identity } from "./auth.ts";
import { answering, type Locate, type LocatedRelease } from "./release-locate.ts";
import { defineRoute, HttpError, type Route } from "./router.ts";
import { NotStarted } from "./serial.ts";
import type { ServiceControl } from "./service.ts";
import type { ServeState } from "./state.ts";
import type { ServerResponse } from "node:http";

export interface ReleaseActionOptions {
  state: ServeState;
  control: ServiceControl;
  locate: Locate;
  log: Logger;
  /** helm's bound for a rollback (serve's --helm-timeout). */
  helmTimeoutMs: number;
  /** How long an action waits for the running pass before it answers 503, doing nothing; default 120 s. */
  waitMs?: number;
}

const base = "/api/v1/clusters/{cluster}/releases/{release}";

const refusals = {
  404: { description: "Unknown cluster or release", schema: ErrorBody },
  409: {
    description: "Refused or failed: a paused cluster, a replica that does not lead, nothing deployed, a Project berth cannot act as, the action failing on the cluster (with its record when it was recorded)",
    schema: ActionFailed,
  },
  502: { description: "The cluster could not answer", schema: ErrorBody },
  503: { description: "The running reconcile pass did not end in time (or the client went away first): nothing was done; ask again", schema: ErrorBody },
};

/** The token's name and role: what a record keeps of who asked (never its applications or digest). */
const actorOf = (identity: Identity | undefined): { actor?: Actor } => (identity ? { actor: { name: identity.name, role: identity.role } } : {});

export function releaseActionRoutes(o: ReleaseActionOptions): Route[] {
  const access = { action: releaseApplication(o.state) };
  const waitMs = o.waitMs ?? 120_000;

  function leading(cluster: string): void {
    if (!o.control.leading(cluster)) {
      throw new HttpError(409, `this replica does not act for cluster ${cluster} (leader election, or another replica holds its shard: see shards in /api/v1/status); it takes no action there; ask the replica that does`);
    }
  }

  /** `fn` in the loop's queue; 503 when its turn does not come within waitMs, or the client goes away before it does. */
  async function queued<T>(res: ServerResponse, what: string, fn: () => Promise<T>): Promise<T> {
    const stop = new AbortController();
    const gone = () => stop.abort(new Error("the client went away before its turn came; nothing was done"));
    res.once("close", gone);
    const timer = setTimeout(() => {
      const busy = o.control.serial.running();
      stop.abort(new Error(`${busy ? `${busy.what}, running since ${busy.since.toISOString()},` : "the queue"} did not end within ${waitMs < 1000 ? `${waitMs} ms` : `${Math.round(waitMs / 1000)} s`}; nothing was done; ask again`));
    }, waitMs);
    try {
      return await o.control.serial.run(what, () => answering(fn), { signal: stop.signal });
    } catch (err) {
      if (err instanceof NotStarted) throw new HttpError(503, `${what}: ${err.message}`);
      throw err;
    } finally {
      clearTimeout(timer);
      res.off("close", gone);
    }
  }

  return [
    defineRoute({
      method: "POST",
      path: `${base}/restart`,
      summary: "A rollout restart of the release's workloads (or of one), as kubectl rollout restart does; recorded with who asked",
      access,
      params: ReleaseParams,
      query: ReleaseQuery,
      body: RestartBody,
      responses: { 200: { description: "Restarted", schema: ActionResult }, ...refusals },
      handle: async ({ send, params, query, body, identity, res }) => {
        leading(params.cluster);
        const record = await queued(res, `the restart of ${params.release} on ${params.cluster}`, async () => {
          const l = await o.locate(params.cluster, params.release, query.namespace);
          return restartRelease(l.target, inspectedRelease(l.found, l.desired), { ...(body.workload ? { workload: body.workload } : {}), ...actorOf(identity), commit: l.commit, log: o.log });
        });
        if (record.result === "failed") return send(409, { error: `restart of ${record.release} on ${record.cluster} failed: ${record.error ?? "unknown"}`, record });
        send(200, { message: `restarted ${record.restarted!.join(", ")} of ${record.release} on ${record.cluster}`, record });
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/sync`,
      summary: "Reconcile now: a pass starts as soon as the running one ends, and this release is reconciled in it; recorded with who asked",
      description:
        "The pass reconciles every release of the newest revision (a release cannot be reconciled apart from the ones it needs), this one among them; what it does is recorded as its own actions and shown in status.",
      access,
      params: ReleaseParams,
      query: ReleaseQuery,
      responses: { 202: { description: "Asked for", schema: SyncAccepted }, ...refusals },
      handle: async ({ send, params, query, identity }) => {
        leading(params.cluster);
        const l = await o.locate(params.cluster, params.release, query.namespace);
        if (l.target.paused) throw new HttpError(409, `cluster ${l.target.name} is paused: a pass changes nothing on it; nothing was asked for`);
        const suspended = Boolean(l.found.book.memo.suspendedDigest);
        const application = l.desired?.application;
        const record: ActionRecord = {
          at: new Date().toISOString(),
          commit: l.commit,
          cluster: l.target.name,
          release: l.found.name,
          namespace: l.found.namespace,
          ...(application ? { application } : {}),
          action: "sync",
          steps: [],
          result: "succeeded",
          durationMs: 0,
          reason: suspended
            ? "a reconcile pass was asked for; the release is suspended by a manual rollback, so the pass leaves it as it is until resume"
            : "a reconcile pass was asked for; what it does is recorded as its own actions",
          ...actorOf(identity),
        };
        const running = o.control.serial.running();
        // Written in its turn, before the pass asked for (the queue keeps the order).
        void o.control.serial
          .run(`the record of a sync of ${record.release} on ${record.cluster}`, () => appendRecord(l.target.kube, record.namespace, record.release, record))
          .catch((err: unknown) => o.log.error({ cluster: record.cluster, release: record.release, err: (err as Error).message }, "could not record a sync"));
        o.control.trigger();
        o.log.info({ cluster: record.cluster, release: record.release, namespace: record.namespace, action: "sync", ...(record.actor ? { actor: record.actor.name } : {}) }, "sync asked for");
        const when = running ? `when ${running.what} (running since ${running.since.toISOString()}) ends` : "now";
        send(202, {
          message: `a reconcile pass starts ${when}; it reconciles ${record.release} on ${record.cluster}${suspended ? ", which stays as it is: a manual rollback suspended it until resume" : ""}`,
          record,
          ...(running ? { running: { what: running.what, since: running.since.toISOString() } } : {}),
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/rollback`,
      summary: "Roll back to a Helm revision (running the rollback steps of the versions it crosses) and suspend automatic reconciliation until git changes the release or resume; recorded with who asked",
      access,
      params: ReleaseParams,
      query: ReleaseQuery,
      body: RollbackBody,
      responses: { 200: { description: "Rolled back", schema: ActionResult }, ...refusals },
      handle: async ({ send, params, query, body, identity, res }) => {
        leading(params.cluster);
        const { record, l } = await queued(res, `the rollback of ${params.release} on ${params.cluster}`, async () => {
          const l: LocatedRelease = await o.locate(params.cluster, params.release, query.namespace);
          const book = await manualRollback(l.target, l.desired, l.found, body.toRevision, l.commit, o.helmTimeoutMs, { log: o.log, ...actorOf(identity) });
          return { record: book.records.at(-1)!, l };
        });
        send(200, {
          message: `rolled back ${l.found.name} on ${l.target.name} to revision ${body.toRevision}; automatic reconciliation is suspended until git changes it or resume`,
          record,
        });
      },
    }),
    defineRoute({
      method: "POST",
      path: `${base}/resume`,
      summary: "Lift the suspension a manual rollback set (and reset the retry count): the next pass brings the release back to git; recorded with who asked",
      access,
      params: ReleaseParams,
      query: ReleaseQuery,
      responses: { 200: { description: "Resumed", schema: ActionResult }, ...refusals },
      handle: async ({ send, params, query, identity, res }) => {
        leading(params.cluster);
        const record = await queued(res, `the resume of ${params.release} on ${params.cluster}`, async () => {
          const l = await o.locate(params.cluster, params.release, query.namespace);
          return resume(l.target, l.found, { commit: l.commit, ...(l.desired?.application ? { application: l.desired.application } : {}), ...actorOf(identity) });
        });
        send(200, { message: `resumed ${record.release} on ${record.cluster}; the next reconcile brings it back to git`, record });
      },
    }),
  ];
}
