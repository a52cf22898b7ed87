import { describe, expect, it } from "vitest";
import type { UpgradeStep } from "../model/types.ts";
import type { Action } from "../plan/action.ts";
import { emptyMemo, type ObservedRelease, type ReleaseMemo } from "../plan/observed.ts";
import type { PlannedRelease } from "../plan/plan.ts";
import { spec } from "../plan/test-specs.ts";
import { beginMove } from "./move.ts";
import type { ActionOutcome } from "./outcome.ts";
import { rollbackRelease } from "./rollback.ts";
import { stepJobName } from "./run-step.ts";
import { actionContext, fakeKube, recordingHelm } from "./test-fakes.ts";
import { applyRelease } from "./upgrade.ts";

const step: UpgradeStep = {
  from: ">=2.3.0 <2.4.0",
  to: "2.4.0",
  run: { image: "registry.example.com/migrate", args: ["up"] },
  rollback: { image: "registry.example.com/migrate", args: ["down"] },
};
const D23 = "d23d23d23d23";
const D24 = "d24d24d24d24";

function item(version: string, digest: string, action: Action): PlannedRelease {
  return {
    name: "shop-api",
    namespace: "shop",
    application: "shop",
    desired: spec("shop-api", { component: { name: "api", version }, upgrades: [step] }),
    digest,
    state: { name: "OutOfSync", reason: "git differs", deployed: { revision: 1, status: "deployed" } },
    action,
    needs: [],
  };
}

const upgrade: Action = { kind: "upgrade", from: "2.3.0", to: "2.4.0", steps: [step] };
const downgrade: Action = { kind: "rollback", from: "2.4.0", to: "2.3.0", toRevision: 1, steps: [{ to: "2.4.0", rollback: step.rollback! }] };

function harness() {
  const f = fakeKube();
  const h = recordingHelm();
  const ctx = actionContext(f.kube, h.helm);
  const persisted: ReleaseMemo[] = [];
  const jobsAtPersist: number[] = [];
  // What release.ts does: the memo is written before a move's first Job (and after every action).
  const persist = async (memo: ReleaseMemo) => {
    persisted.push(memo);
    jobsAtPersist.push(f.created.length);
  };
  let memo = emptyMemo();
  async function run(a: Action): Promise<ActionOutcome> {
    const input = { item: a.kind === "rollback" ? item("2.3.0", D23, a) : item("2.4.0", D24, a), memo, prune: false, persist };
    const out = a.kind === "rollback" ? await rollbackRelease(ctx, input, a) : await applyRelease(ctx, input, a as Extract<Action, { kind: "upgrade" }>);
    memo = out.memo;
    return out;
  }
  return { f, h, run, persisted, jobsAtPersist, setMemo: (m: ReleaseMemo) => (memo = m), memo: () => memo };
}

describe("a version move runs its steps once, every move", () => {
  it("2.3 -> 2.4 -> 2.3 -> 2.4 runs the up step twice and the down step once, and history names the Jobs that ran", async () => {
    const t = harness();
    const outs = [await t.run(upgrade), await t.run(downgrade), await t.run(upgrade)];
    expect(outs.map((o) => o.record.result)).toEqual(["succeeded", "succeeded", "succeeded"]);
    const byKind = (k: string) => [...t.f.jobs.values()].filter((j) => j.spec.labels["berth.dev/step"] === k);
    expect(byKind("run")).toHaveLength(2);
    expect(byKind("rollback")).toHaveLength(1);
    // every Job was created once and waited on once: none of an earlier move was taken
    expect([...t.f.jobs.values()].map((j) => j.creates)).toEqual([1, 1, 1]);
    const named = outs.flatMap((o) => o.record.steps.map((s) => s.job));
    expect(named).toEqual(t.f.created);
    expect(new Set(named).size).toBe(3);
    // each move wrote its id before its first Job, and its outcome cleared it
    expect(t.jobsAtPersist).toEqual([0, 1, 2]);
    expect(t.persisted.map((m) => m.move?.action)).toEqual(["upgrade", "rollback", "upgrade"]);
    expect(new Set(t.persisted.map((m) => m.move?.id)).size).toBe(3);
    for (const o of outs) expect(o.memo.move).toBeUndefined();
  });

  it("a berth killed while its step Job ran resumes waiting on that Job: no second Job for the same move", async () => {
    const t = harness();
    const left = { id: "k1ll3d00", digest: D24, action: "upgrade" as const, from: "2.3.0", to: "2.4.0", startedAt: "2024-01-01T00:00:00.000Z" };
    const job = stepJobName({ release: "shop-api", kind: "run", to: "2.4.0", move: left.id });
    t.f.jobs.set(job, { spec: { namespace: "shop", name: job, image: "x", labels: {}, move: left.id, timeoutMs: 1 }, creates: 1 });
    t.setMemo({ ...emptyMemo(), move: left });

    const out = await t.run(upgrade);
    expect(out.record.result).toBe("succeeded");
    expect(t.f.created).toEqual([]);
    expect(t.f.jobs.get(job)!.creates).toBe(2);
    expect(out.record.steps.map((s) => s.job)).toEqual([job]);
    expect(t.persisted[0]!.move).toEqual(left);
    expect(out.memo.move).toBeUndefined();
  });

  it("an unfinished move for another digest is not continued: the new move runs its own Job", async () => {
    const t = harness();
    t.setMemo({ ...emptyMemo(), move: { id: "0ldm0ve0", digest: "other", action: "upgrade", from: "2.3.0", to: "2.4.0", startedAt: "2024-01-01T00:00:00.000Z" } });
    const out = await t.run(upgrade);
    expect(t.f.created).toHaveLength(1);
    expect(t.f.created[0]).not.toContain("0ldm0ve0");
    expect(out.record.steps[0]!.job).toBe(t.f.created[0]);
  });

  it("a failed step ends the move: the retry runs a fresh Job", async () => {
    const t = harness();
    t.f.state.failJob = () => true;
    const first = await t.run(upgrade);
    expect(first.record.result).toBe("failed");
    expect(first.record.error).toMatch(/upgrade step to 2\.4\.0 \(job shop-api-up-2-4-0-[0-9a-f]{8}-[0-9a-f]{6}\) failed: BackoffLimitExceeded/);
    t.f.state.failJob = undefined;
    const second = await t.run(upgrade);
    expect(second.record.result).toBe("succeeded");
    expect(t.f.created).toHaveLength(2);
  });

  it("a step that cannot be watched to its end keeps the move, so the next attempt waits on the same Job", async () => {
    const t = harness();
    t.setMemo({ ...emptyMemo(), move: { id: "f0re1gn0", digest: D24, action: "upgrade", from: "2.3.0", to: "2.4.0", startedAt: "2024-01-01T00:00:00.000Z" } });
    const job = stepJobName({ release: "shop-api", kind: "run", to: "2.4.0", move: "f0re1gn0" });
    t.f.jobs.set(job, { spec: { namespace: "shop", name: job, image: "x", labels: {}, move: "someone-else", timeoutMs: 1 }, creates: 1 });
    const out = await t.run(upgrade);
    expect(out.record.result).toBe("failed");
    expect(out.record.error).toMatch(/could not be run or watched to its end: job .* belongs to move someone-else/);
    expect(out.memo.move?.id).toBe("f0re1gn0");
    expect(t.h.calls).toEqual([]);
  });

  it("step logs go to the step-logs store, never into the record", async () => {
    const t = harness();
    const out = await t.run(upgrade);
    const job = out.record.steps[0]!.job;
    expect(out.record.steps[0]).not.toHaveProperty("logs");
    expect(t.f.stepLogs.get("shop/shop-api")).toEqual({ [job]: `logs of ${job}` });
  });
});

describe("beginMove", () => {
  const want = { digest: "d", action: "upgrade" as const, from: "1.0.0", to: "1.1.0" };
  const m = { ...want, id: "aaaa0000", startedAt: "2024-01-01T00:00:00.000Z" };
  it.each([
    ["the same move continues", m, "aaaa0000"],
    ["another digest is a new move", { ...m, digest: "e" }, "bbbb1111"],
    ["another target is a new move", { ...m, to: "1.2.0" }, "bbbb1111"],
    ["another action is a new move", { ...m, action: "rollback" as const }, "bbbb1111"],
    ["no move under way is a new move", undefined, "bbbb1111"],
  ])("%s", (_n, move, id) => {
    expect(beginMove({ ...emptyMemo(), ...(move ? { move } : {}) }, want, { newId: () => "bbbb1111" }).id).toBe(id);
  });

  // A berth that died after helm applied the move's digest, before recording it, left the move behind.
  const release = (revisions: ObservedRelease["revisions"]): ObservedRelease => ({ name: "r", namespace: "n", managed: true, prune: false, revisions });
  it.each([
    ["its digest deployed after it began: a later move to it is new", [{ revision: 4, status: "deployed" as const, digest: "d" }], "bbbb1111"],
    ["its digest deployed, then rolled back by hand: new", [{ revision: 4, status: "superseded" as const, digest: "d" }, { revision: 5, status: "deployed" as const, digest: "c" }], "bbbb1111"],
    ["only a failed revision of it since: the same move goes on", [{ revision: 4, status: "failed" as const, digest: "d" }], "aaaa0000"],
    ["its digest only before it began: the same move goes on", [{ revision: 2, status: "superseded" as const, digest: "d" }, { revision: 3, status: "deployed" as const, digest: "c" }], "aaaa0000"],
  ])("%s", (_n, revisions, id) => {
    const started = { ...m, fromRevision: 3 };
    expect(beginMove({ ...emptyMemo(), move: started }, want, { observed: release(revisions), newId: () => "bbbb1111" }).id).toBe(id);
  });

  it("a new move remembers the latest revision it starts from", () => {
    const got = beginMove(emptyMemo(), want, { observed: release([{ revision: 7, status: "deployed", digest: "c" }]), newId: () => "bbbb1111" });
    expect(got).toMatchObject({ id: "bbbb1111", fromRevision: 7 });
  });
});

describe("stepJobName", () => {
  it("differs per move, step and kind, and stays a valid name at most 63 long", () => {
    const long = "a-very-long-application-name-with-a-very-long-component-name";
    const names = [
      stepJobName({ release: long, kind: "run", to: "2.4.0", move: "aaaa0000" }),
      stepJobName({ release: long, kind: "run", to: "2.4.0", move: "bbbb1111" }),
      stepJobName({ release: long, kind: "run", to: "2.5.0", move: "aaaa0000" }),
      stepJobName({ release: long, kind: "rollback", to: "2.4.0", move: "aaaa0000" }),
    ];
    expect(new Set(names).size).toBe(4);
    for (const n of names) {
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(names[0]).toContain("-aaaa0000-");
  });
});
