// The action routes over the very code the CLI runs (inspect.ts restartRelease,
// manual.ts manualRollback and resume) with small fakes of the kube and helm
// adapters: who may act, what each records (with the actor), and that an
// action waits for the running pass in the one queue instead of racing it.
import { afterEach, describe, expect, it } from "vitest";
import { AS, serveRoutes, silent, stateWithSnapshot, type Served } from "../../test/unit/helpers/release-api.ts";
import { SHA1 } from "../../test/unit/helpers/serve-fixtures.ts";
import type { RestartTarget } from "../adapters/kube/restart.ts";
import { spec } from "../plan/test-specs.ts";
import type { ObservedRelease } from "../plan/observed.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";
import { appendRecord } from "../reconcile/correct-drift.ts";
import { readBook, writeBook, type ActionRecord } from "../reconcile/memo.ts";
import { fakeKube, recordingHelm } from "../reconcile/test-fakes.ts";
import { releaseActionRoutes } from "./release-actions.ts";
import type { Locate } from "./release-locate.ts";
import { HttpError } from "./router.ts";
import { createSerial } from "./serial.ts";

const observed: ObservedRelease = {
  name: "shop-api",
  namespace: "shop",
  managed: true,
  prune: false,
  revisions: [
    { revision: 1, status: "superseded", version: "3.0.5" },
    { revision: 2, status: "deployed", version: "3.0.6" },
  ],
};
const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop-api }
spec: { template: { spec: { containers: [{ name: api, image: api }] } } }
---
apiVersion: v1
kind: Service
metadata: { name: shop-api }
`;

function setup(o: { paused?: boolean; leading?: boolean | ((cluster?: string) => boolean); waitMs?: number; restartFails?: boolean } = {}) {
  const f = fakeKube(observed);
  const restarted: RestartTarget[] = [];
  Object.assign(f.kube, {
    readManifest: async () => ({ revision: 2, manifest: MANIFEST }),
    restartWorkload: async (t: RestartTarget) => {
      if (o.restartFails) throw new Error(`cluster east: restart Deployment shop/${t.name}: deployments.apps "${t.name}" is forbidden`);
      restarted.push(t);
    },
  });
  const h = recordingHelm();
  const target: ClusterTarget = { name: "east", paused: o.paused ?? false, allowEmpty: false, kube: f.kube, helm: h.helm };
  // The book is read when locate is called: an action must call it in its turn, not before.
  const locate: Locate = async (cluster, release) => {
    if (cluster !== "east" || release !== "shop-api") throw new HttpError(404, `no release ${release} on cluster ${cluster}`);
    return { target, found: { name: "shop-api", namespace: "shop", book: readBook(f.memos.get("shop/shop-api")) }, desired: spec("shop-api", { namespace: "shop", application: "shop" }), commit: SHA1 };
  };
  const serial = createSerial();
  const triggers: number[] = [];
  const asked: Array<string | undefined> = [];
  const control = {
    trigger: () => void triggers.push(Date.now()),
    serial,
    leading: (cluster?: string) => {
      asked.push(cluster);
      return typeof o.leading === "function" ? o.leading(cluster) : (o.leading ?? true);
    },
  };
  const routes = releaseActionRoutes({ state: stateWithSnapshot(), control, locate, log: silent, helmTimeoutMs: 1_000, ...(o.waitMs ? { waitMs: o.waitMs } : {}) });
  const records = () => readBook(f.memos.get("shop/shop-api")).records;
  return { f, h, restarted, serial, triggers, routes, records, asked };
}

/** A pass that holds the queue until `end()`. */
function runningPass(serial: ReturnType<typeof createSerial>, work: () => Promise<void> = async () => undefined) {
  let end!: () => void;
  const held = new Promise<void>((r) => (end = r));
  const done = serial.run("the reconcile pass", async () => {
    await held;
    await work();
  });
  return { end, done };
}

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});
const serve = async (t: ReturnType<typeof setup>) => (served = await serveRoutes(t.routes));
const rel = "/api/v1/clusters/east/releases/shop-api";
const OPERATOR = { name: "shop-oncall", role: "operator" };

describe("who may act", () => {
  it.each([
    ["no token", undefined, 401, "this needs a token"],
    ["an unknown token", "nope", 401, "unknown token"],
    ["a viewer", AS.viewer, 403, "token ci-bot is a viewer: it may read, not act"],
    ["an operator of another application", AS.other, 403, "token other-oncall may act on billing, not on shop"],
  ])("%s: refused on every action, and nothing is done", async (_who, token, statusCode, message) => {
    const t = setup();
    const s = await serve(t);
    for (const [action, body] of [["restart", undefined], ["sync", undefined], ["rollback", { toRevision: 1 }], ["resume", undefined]] as const) {
      const r = await s.call("POST", `${rel}/${action}`, { ...(token ? { token } : {}), ...(body ? { body } : {}) });
      expect([action, r.status]).toEqual([action, statusCode]);
      expect(r.body.error).toContain(message);
    }
    expect([t.restarted, t.h.calls, t.triggers, t.records()]).toEqual([[], [], [], []]);
  });

  it("a replica that does not lead refuses every action (409): its queue does not hold the leader's pass", async () => {
    const t = setup({ leading: false });
    const s = await serve(t);
    for (const action of ["restart", "sync", "resume"]) {
      const r = await s.call("POST", `${rel}/${action}`, { token: AS.admin });
      expect(r.status).toBe(409);
      expect(r.body.error).toMatch(/this replica does not act for cluster east \(leader election, or another replica holds its shard/);
    }
    expect(t.records()).toEqual([]);
  });

  it("with shards, a replica asks about the release's cluster: it refuses where another replica acts, and acts where it does", async () => {
    const t = setup({ leading: (cluster) => cluster === "west" });
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/restart`, { token: AS.admin });
    expect(r.status).toBe(409);
    expect(t.asked).toEqual(["east"]);
    expect([t.restarted, t.records()]).toEqual([[], []]);
    const mine = setup({ leading: (cluster) => cluster === "east" });
    await served?.close();
    const s2 = await serve(mine);
    expect((await s2.call("POST", `${rel}/restart`, { token: AS.admin })).status).toBe(200);
  });

  it("an unknown release: 404", async () => {
    const s = await serve(setup());
    const r = await s.call("POST", "/api/v1/clusters/east/releases/nope/restart", { token: AS.admin });
    expect(r.status).toBe(404);
  });
});

describe("restart", () => {
  it("as the application's operator: every workload stamped; recorded with the token's name and role (never its applications)", async () => {
    const t = setup();
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/restart`, { token: AS.operator });
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("restarted Deployment/shop-api of shop-api on east");
    expect(r.body.record).toMatchObject({ action: "restart", result: "succeeded", restarted: ["Deployment/shop-api"], actor: OPERATOR, application: "shop", commit: SHA1, helmRevision: 2 });
    expect(t.restarted).toEqual([{ kind: "Deployment", namespace: "shop", name: "shop-api" }]);
    expect(t.records()).toEqual([r.body.record]);
  });

  it("one workload by name (an admin); an unknown one is 400 and nothing changes; an unknown field is 400", async () => {
    const t = setup();
    const s = await serve(t);
    expect((await s.call("POST", `${rel}/restart`, { token: AS.admin, body: { workload: "Deployment/shop-api" } })).body.record.actor).toEqual({ name: "platform", role: "admin" });
    const unknown = await s.call("POST", `${rel}/restart`, { token: AS.admin, body: { workload: "worker" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe("release shop/shop-api has no workload worker to restart; it has Deployment/shop-api");
    const typo = await s.call("POST", `${rel}/restart`, { token: AS.admin, body: { workloads: "x" } });
    expect(typo.status).toBe(400);
    expect(typo.body.error).toMatch(/^body\.workloads: unknown field "workloads"; allowed here: workload/);
    expect(t.restarted).toHaveLength(1);
  });

  it("refused by the cluster: 409 with the failed record, which is in the history", async () => {
    const t = setup({ restartFails: true });
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/restart`, { token: AS.operator });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/^restart of shop-api on east failed: Deployment\/shop-api: .*is forbidden/);
    expect(r.body.record).toMatchObject({ result: "failed", restarted: [], actor: OPERATOR });
    expect(t.records()).toEqual([r.body.record]);
  });

  it("on a paused cluster: 409, nothing restarted or recorded", async () => {
    const t = setup({ paused: true });
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/restart`, { token: AS.operator });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe("cluster east is paused: berth changes nothing on it; nothing was restarted");
    expect([t.restarted, t.records()]).toEqual([[], []]);
  });
});

describe("rollback and resume, as berth rollback and berth resume do", () => {
  it("rollback to a revision: helm rolls back, the release is suspended, the record names who asked; resume lifts it and is recorded", async () => {
    const t = setup();
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/rollback`, { token: AS.operator, body: { toRevision: 1 } });
    expect(r.status).toBe(200);
    expect(r.body.message).toBe("rolled back shop-api on east to revision 1; automatic reconciliation is suspended until git changes it or resume");
    expect(r.body.record).toMatchObject({ action: "rollback", fromVersion: "3.0.6", toVersion: "3.0.5", result: "succeeded", actor: OPERATOR, application: "shop" });
    expect(t.h.calls.map((c) => [c.verb, "revision" in c.o ? c.o.revision : undefined])).toEqual([["rollback", 1]]);
    expect(readBook(t.f.memos.get("shop/shop-api")).memo.suspendedDigest).toBeDefined();

    const res = await s.call("POST", `${rel}/resume`, { token: AS.admin });
    expect(res.status).toBe(200);
    expect(res.body.record).toMatchObject({ action: "resume", result: "succeeded", actor: { name: "platform", role: "admin" } });
    expect(res.body.record.reason).toMatch(/suspension set by a manual rollback is lifted/);
    expect(readBook(t.f.memos.get("shop/shop-api")).memo.suspendedDigest).toBeUndefined();
    expect(t.records().map((x) => x.action)).toEqual(["rollback", "resume"]);
  });

  it("a revision the release does not have: 400 naming those it has; a body without toRevision: 400", async () => {
    const t = setup();
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/rollback`, { token: AS.operator, body: { toRevision: 9 } });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("release shop-api on cluster east has no revision 9; it has 1 (3.0.5, superseded), 2 (3.0.6, deployed)");
    const none = await s.call("POST", `${rel}/rollback`, { token: AS.operator, body: {} });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatch(/^body\.toRevision: required field is missing/);
    expect(t.h.calls).toEqual([]);
  });

  it("helm failing: 409 saying so; the failed rollback is recorded", async () => {
    const t = setup();
    t.h.helm.rollback = async () => {
      throw new Error("helm rollback failed: boom");
    };
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/rollback`, { token: AS.operator, body: { toRevision: 1 } });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe("rollback of shop-api to revision 1 failed: helm rollback failed: boom");
    expect(t.records().at(-1)).toMatchObject({ action: "rollback", result: "failed", actor: OPERATOR });
  });
});

describe("sync", () => {
  it("202 at once: a pass is triggered; the sync is recorded with who asked (the pass's own actions follow)", async () => {
    const t = setup();
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/sync`, { token: AS.operator });
    expect(r.status).toBe(202);
    expect(r.body.message).toBe("a reconcile pass starts now; it reconciles shop-api on east");
    expect(r.body.running).toBeUndefined();
    expect(r.body.record).toMatchObject({ action: "sync", result: "succeeded", actor: OPERATOR, application: "shop", commit: SHA1 });
    expect(t.triggers).toHaveLength(1);
    await expect.poll(() => t.records()).toEqual([r.body.record]);
  });

  it("while a pass runs: answers at once saying so; its record is written after the pass, not over it", async () => {
    const t = setup();
    const s = await serve(t);
    const loop: ActionRecord = { at: "2025-01-01T00:00:00.000Z", commit: SHA1, cluster: "east", release: "shop-api", namespace: "shop", action: "upgrade", steps: [], result: "succeeded", durationMs: 1 };
    const pass = runningPass(t.serial, () => appendRecord(t.f.kube, "shop", "shop-api", loop));
    const r = await s.call("POST", `${rel}/sync`, { token: AS.operator });
    expect(r.status).toBe(202);
    expect(r.body.running).toMatchObject({ what: "the reconcile pass" });
    expect(r.body.message).toMatch(/^a reconcile pass starts when the reconcile pass \(running since .*\) ends; it reconciles shop-api on east$/);
    expect(t.records()).toEqual([]);
    pass.end();
    await pass.done;
    await expect.poll(() => t.records().map((x) => x.action)).toEqual(["upgrade", "sync"]);
  });

  it("a release suspended by a rollback: the answer says the pass leaves it as it is", async () => {
    const t = setup();
    t.f.memos.set("shop/shop-api", writeBook({ memo: { ...readBook(undefined).memo, suspendedDigest: "d" }, records: [] }));
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/sync`, { token: AS.operator });
    expect(r.body.message).toMatch(/which stays as it is: a manual rollback suspended it until resume$/);
  });

  it("on a paused cluster: 409, nothing triggered or recorded", async () => {
    const t = setup({ paused: true });
    const s = await serve(t);
    const r = await s.call("POST", `${rel}/sync`, { token: AS.operator });
    expect(r.status).toBe(409);
    expect(r.body.error).toBe("cluster east is paused: a pass changes nothing on it; nothing was asked for");
    expect([t.triggers, t.records()]).toEqual([[], []]);
  });
});

describe("actions and the loop: one queue", () => {
  it("a restart asked while a pass runs waits for it, then reads the release's book afresh: the pass's record is kept", async () => {
    const t = setup();
    const s = await serve(t);
    const loop: ActionRecord = { at: "2025-01-01T00:00:00.000Z", commit: SHA1, cluster: "east", release: "shop-api", namespace: "shop", action: "upgrade", steps: [], result: "succeeded", durationMs: 1 };
    const pass = runningPass(t.serial, () => appendRecord(t.f.kube, "shop", "shop-api", loop));
    const asked = s.call("POST", `${rel}/restart`, { token: AS.operator });
    await new Promise((r) => setTimeout(r, 50));
    expect(t.restarted).toEqual([]);
    pass.end();
    const r = await asked;
    expect(r.status).toBe(200);
    expect(t.records().map((x) => x.action)).toEqual(["upgrade", "restart"]);
  });

  it("a pass that does not end in time: 503 saying what runs, and the action is never done later", async () => {
    const t = setup({ waitMs: 50 });
    const s = await serve(t);
    const pass = runningPass(t.serial);
    const r = await s.call("POST", `${rel}/rollback`, { token: AS.operator, body: { toRevision: 1 } });
    expect(r.status).toBe(503);
    expect(r.body.error).toMatch(/^the rollback of shop-api on east: the reconcile pass, running since .*, did not end within 50 ms; nothing was done; ask again$/);
    pass.end();
    await pass.done;
    await t.serial.run("after", async () => undefined);
    expect([t.h.calls, t.records()]).toEqual([[], []]);
  });

  it("a client that goes away before its turn: the action is not done", async () => {
    const t = setup();
    const s = await serve(t);
    const pass = runningPass(t.serial);
    const stop = new AbortController();
    const asked = fetch(`${s.url}${rel}/restart`, { method: "POST", headers: { authorization: `Bearer ${AS.operator}` }, signal: stop.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await asked;
    await new Promise((r) => setTimeout(r, 50));
    pass.end();
    await pass.done;
    await t.serial.run("after", async () => undefined);
    expect([t.restarted, t.records()]).toEqual([[], []]);
  });
});

describe("the document", () => {
  it("documents each action with its body (restart's may be left out, rollback's not), 401, 403, 404, 409, 502 and 503", async () => {
    const s = await serve(setup());
    for (const action of ["restart", "sync", "rollback", "resume"]) {
      const op = s.doc.paths[`/api/v1/clusters/{cluster}/releases/{release}/${action}`]!.post! as { responses: Record<string, unknown>; requestBody?: { required: boolean }; "x-berth-access"?: string };
      expect(Object.keys(op.responses).sort(), action).toEqual([action === "sync" ? "202" : "200", "400", "401", "403", "404", "409", "502", "503", ...(["restart", "rollback"].includes(action) ? ["413"] : [])].sort());
      expect(op["x-berth-access"]).toBe("action");
      expect(op.requestBody?.required, action).toBe(action === "rollback" ? true : action === "restart" ? false : undefined);
    }
  });
});
