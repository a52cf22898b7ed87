import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { UpgradeStep } from "../model/types.ts";
import { emptyMemo, type ObservedRelease, type ReleaseMemo } from "../plan/observed.ts";
import { spec } from "../plan/test-specs.ts";
import type { ClusterTarget } from "./cluster.ts";
import { manualRollback, resume } from "./manual.ts";
import { readBook } from "./memo.ts";
import { fakeKube, recordingHelm } from "./test-fakes.ts";

const up = (to: string, from: string, rollback = true): UpgradeStep => ({
  from,
  to,
  run: { image: "registry.example.com/migrate", args: ["up", to] },
  ...(rollback ? { rollback: { image: "registry.example.com/migrate", args: ["down", to] } } : {}),
});
const observed: ObservedRelease = {
  name: "shop-api",
  namespace: "shop",
  managed: true,
  prune: false,
  revisions: [
    { revision: 1, status: "superseded", version: "2.3.0" },
    { revision: 2, status: "superseded", version: "2.4.0" },
    { revision: 3, status: "deployed", version: "2.5.0" },
  ],
};

function setup(memo: ReleaseMemo = emptyMemo(), fail: { job?: boolean } = {}) {
  const f = fakeKube(observed);
  if (fail.job) f.state.failJob = () => true;
  const h = recordingHelm();
  const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube: f.kube, helm: h.helm };
  const rel = { namespace: "shop", name: "shop-api", book: { ...readBook(undefined), memo } };
  const desired = spec("shop-api", { namespace: "shop", component: { name: "api", version: "2.5.0" }, upgrades: [up("2.4.0", "~2.3.0"), up("2.5.0", "~2.4.0")] });
  // `d`: what git declares for the release now (null: nothing)
  const run = (revision: number, d: typeof desired | null = desired) => manualRollback(target, d ?? undefined, rel, revision, "c1", 1_000, { log: pino({ level: "silent" }) });
  const book = () => readBook(f.memos.get("shop/shop-api"));
  return { f, h, run, book };
}

describe("berth rollback runs the rollback steps of the versions it crosses", () => {
  it("2.5 back to 2.3: the rollback steps of 2.5 and 2.4, newest first, then helm rollback; history names the Jobs", async () => {
    const t = setup({ ...emptyMemo(), steps: [{ from: "~2.3.0", to: "2.4.0" }, { from: "~2.4.0", to: "2.5.0" }] });
    const book = await t.run(1);
    const downs = [...t.f.jobs.values()].map((j) => [j.spec.labels["berth.dev/step"], j.spec.args]);
    expect(downs).toEqual([
      ["rollback", ["down", "2.5.0"]],
      ["rollback", ["down", "2.4.0"]],
    ]);
    expect(t.h.calls.map((c) => [c.verb, "revision" in c.o ? c.o.revision : undefined])).toEqual([["rollback", 1]]);
    const rec = book.records.at(-1)!;
    expect(rec).toMatchObject({ action: "rollback", fromVersion: "2.5.0", toVersion: "2.3.0", result: "succeeded" });
    expect(rec.steps.map((s) => [s.kind, s.to, s.job])).toEqual([
      ["rollback", "2.5.0", t.f.created[0]],
      ["rollback", "2.4.0", t.f.created[1]],
    ]);
    // the undone steps are forgotten, the move is over, the release is suspended
    expect(t.book().memo.steps).toEqual([]);
    expect(t.book().memo.move).toBeUndefined();
    expect(t.book().memo.suspendedDigest).toBeDefined();
  });

  it("finds the rollback of a version withdrawn from git in what berth remembers running", async () => {
    const t = setup({ ...emptyMemo(), steps: [{ from: "~2.4.0", to: "2.5.0", rollback: { image: "registry.example.com/old", args: ["down", "remembered"] } }] });
    await t.run(2, spec("shop-api", { namespace: "shop", component: { name: "api", version: "2.4.0" } }));
    expect([...t.f.jobs.values()].map((j) => j.spec.args)).toEqual([["down", "remembered"]]);
    expect(t.h.calls.map((c) => c.verb)).toEqual(["rollback"]);
  });

  it("refuses, changing nothing, when a crossed step's rollback is found nowhere", async () => {
    const t = setup({ ...emptyMemo(), steps: [{ from: "~2.4.0", to: "2.5.0" }] });
    await expect(t.run(2, null)).rejects.toThrow(
      /cannot roll shop-api back from 2\.5\.0 to 2\.4\.0: the upgrade step to 2\.5\.0 has no rollback step in git or in berth's memory of the release; declare `rollback:`/,
    );
    expect(t.f.jobs.size).toBe(0);
    expect(t.h.calls).toEqual([]);
    expect(t.f.memos.size).toBe(0);
  });

  it("a failed rollback step stops before helm, and the failure is recorded", async () => {
    const t = setup(emptyMemo(), { job: true });
    await expect(t.run(2)).rejects.toThrow(/rollback step of 2\.5\.0 \(job shop-api-down-2-5-0-[0-9a-f]{8}-[0-9a-f]{6}\) failed: BackoffLimitExceeded; the release was not rolled back/);
    expect(t.h.calls).toEqual([]);
    expect(t.book().records.at(-1)).toMatchObject({ action: "rollback", result: "failed", steps: [{ kind: "rollback", to: "2.5.0", succeeded: false }] });
  });

  it("asked through the API: the record names who asked, and the application git places the release in", async () => {
    const f = fakeKube(observed);
    const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube: f.kube, helm: recordingHelm().helm };
    const rel = { namespace: "shop", name: "shop-api", book: readBook(undefined) };
    const desired = spec("shop-api", { namespace: "shop", application: "shop", component: { name: "api", version: "2.5.0" } });
    const actor = { name: "shop-oncall", role: "operator" as const };
    await manualRollback(target, desired, rel, 3, "c1", 1_000, { log: pino({ level: "silent" }), actor });
    expect(readBook(f.memos.get("shop/shop-api")).records.at(-1)).toMatchObject({ action: "rollback", result: "succeeded", application: "shop", actor });
  });

  it("a rollback to a revision of the same or a higher version crosses no step", async () => {
    const t = setup();
    await t.run(3);
    expect(t.f.jobs.size).toBe(0);
    expect(t.h.calls.map((c) => c.verb)).toEqual(["rollback"]);
  });
});

describe("berth rollback of a Project's release that impersonates", () => {
  const who = { user: "system:serviceaccount:shop:berth-shop", groups: [] as string[] };
  const inProject = (over = {}) =>
    spec("shop-api", {
      namespace: "shop",
      component: { name: "api", version: "2.5.0" },
      upgrades: [up("2.4.0", "~2.3.0"), up("2.5.0", "~2.4.0")],
      project: { name: "shop-team", namespaces: ["shop"], clusterScoped: [], impersonate: who },
      ...over,
    });

  it("runs helm and the rollback steps as that identity; the records stay berth's", async () => {
    const own = fakeKube(observed);
    const acting = fakeKube(observed);
    const ownHelm = recordingHelm();
    const actingHelm = recordingHelm();
    const asked: unknown[] = [];
    const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube: own.kube, helm: ownHelm.helm, as: (w) => (asked.push(w), { kube: acting.kube, helm: actingHelm.helm }) };
    const rel = { namespace: "shop", name: "shop-api", book: readBook(undefined) };
    await manualRollback(target, inProject(), rel, 2, "c1", 1_000, { log: pino({ level: "silent" }) });
    expect(asked).toEqual([who]);
    expect(actingHelm.calls.map((c) => c.verb)).toEqual(["rollback"]);
    expect(ownHelm.calls).toEqual([]);
    expect([own.created.length, acting.created.length]).toEqual([0, 1]);
    expect(readBook(own.memos.get("shop/shop-api")).records.at(-1)).toMatchObject({ action: "rollback", result: "succeeded" });
    expect(acting.memos.size).toBe(0);
  });

  it("refuses, changing nothing, on a cluster whose clients cannot impersonate", async () => {
    const f = fakeKube(observed);
    const h = recordingHelm();
    const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube: f.kube, helm: h.helm };
    const rel = { namespace: "shop", name: "shop-api", book: readBook(undefined) };
    await expect(manualRollback(target, inProject(), rel, 2, "c1", 1_000, { log: pino({ level: "silent" }) })).rejects.toThrow(
      /belongs to Project shop-team, which acts as system:serviceaccount:shop:berth-shop, and berth's clients for cluster east cannot impersonate; nothing was changed/,
    );
    expect([h.calls.length, f.jobs.size, f.memos.size]).toEqual([0, 0, 0]);
  });
});

describe("berth resume", () => {
  const target = (f: ReturnType<typeof fakeKube>): ClusterTarget => ({ name: "east", paused: false, allowEmpty: false, kube: f.kube, helm: recordingHelm().helm });

  it("lifts the suspension and resets the retry count, recorded in the same write with who asked", async () => {
    const f = fakeKube(observed);
    const old = { at: "2025-01-01T00:00:00.000Z", commit: "c0", cluster: "east", release: "shop-api", namespace: "shop", action: "rollback" as const, steps: [], result: "succeeded" as const, durationMs: 1 };
    const rel = { namespace: "shop", name: "shop-api", book: { memo: { ...emptyMemo(), suspendedDigest: "d1", failures: 3 }, records: [old] } };
    const actor = { name: "platform", role: "admin" as const };
    const rec = await resume(target(f), rel, { commit: "c1", application: "shop", actor });
    const book = readBook(f.memos.get("shop/shop-api"));
    expect(book.memo.suspendedDigest).toBeUndefined();
    expect(book.memo.failures).toBe(0);
    expect(book.records).toEqual([old, rec]);
    expect(rec).toMatchObject({ action: "resume", result: "succeeded", commit: "c1", cluster: "east", release: "shop-api", namespace: "shop", application: "shop", actor, steps: [] });
    expect(rec.reason).toMatch(/suspension set by a manual rollback is lifted/);
  });

  it("a release that was not suspended: its retry count is reset, and the record says so; from the CLI, no actor", async () => {
    const f = fakeKube(observed);
    const rec = await resume(target(f), { namespace: "shop", name: "shop-api", book: { memo: { ...emptyMemo(), failures: 2 }, records: [] } }, { commit: "c1" });
    expect(rec.reason).toMatch(/was not suspended; its retry count is reset/);
    expect(rec.actor).toBeUndefined();
    expect(readBook(f.memos.get("shop/shop-api")).memo.failures).toBe(0);
  });
});
