import { describe, expect, it } from "vitest";
import { runReport, SHA1, status } from "../../test/unit/helpers/serve-fixtures.ts";
import { readiness, type ServeState } from "./state.ts";

const t0 = new Date("2025-01-01T00:00:00Z");
const t1 = new Date("2025-01-01T00:00:10Z");
const snap = (report = runReport(), at = t1) => ({ status: status(), blocked: new Map(), report, at });
const down = runReport({ revision: undefined, sourceError: "git fetch failed", clusters: [] });

describe("readiness", () => {
  it.each<[string, ServeState, boolean, boolean, RegExp | undefined]>([
    ["leader before the first run", { leader: true }, false, false, /first reconcile has not finished/],
    ["leader after a run, before its status read", { leader: true, lastRun: runReport(), lastRunAt: t0 }, false, true, /first reconcile has not finished/],
    ["leader after a run and a snapshot", { leader: true, lastRun: runReport(), lastRunAt: t0, snapshot: snap() }, true, true, undefined],
    ["leader whose newest fetch failed", { leader: true, lastRun: runReport(), lastRunAt: t0, snapshot: snap(down) }, false, false, /source is unreachable: git fetch failed/],
    ["leader whose run failed to fetch but whose later snapshot worked", { leader: true, lastRun: down, lastRunAt: t0, snapshot: snap() }, true, true, undefined],
    ["a pass that threw (a bug, missing built-in definitions)", { leader: true, loopError: "ENOENT: definitions/schemas" }, false, false, /the last pass failed: ENOENT: definitions\/schemas/],
    ["follower before a snapshot", { leader: false }, false, false, /first status read/],
    ["follower with a snapshot", { leader: false, snapshot: snap() }, true, true, undefined],
  ])("%s", (_name, s, ready, reachable, reason) => {
    const r = readiness(s);
    expect(r.ready).toBe(ready);
    expect(r.sourceReachable).toBe(reachable);
    expect(r.leader).toBe(s.leader);
    if (reason) expect(r.reasons.join("; ")).toMatch(reason);
    else expect(r.reasons).toEqual([]);
    if (ready) expect(r).toMatchObject({ revision: SHA1, lastAppliedRevision: SHA1 });
  });
});

describe("readiness with shards", () => {
  it("says per cluster what it stores as applied and by whom, its shard and whether this replica acts for it", () => {
    const st = status();
    const [east, west] = st.clusters;
    const s: ServeState = {
      leader: true,
      lastRun: runReport(),
      lastRunAt: t0,
      snapshot: { ...snap(), status: { ...st, clusters: [{ ...east!, shard: 1, lastAppliedRevision: SHA1, appliedBy: "berth-0" }, { ...west!, shard: 4 }] } },
      shards: () => ({ identity: "berth-0", shards: 6, share: 2, live: ["berth-0", "berth-1", "berth-2"], acting: [1, 2], holders: [], history: [] }),
    };
    const r = readiness(s);
    expect(r.shards).toEqual([1, 2]);
    expect(r.clusters).toEqual([
      { name: east!.name, shard: 1, acting: true, lastAppliedRevision: SHA1, appliedBy: "berth-0" },
      { name: west!.name, shard: 4, acting: false },
    ]);
  });

  it("without shards: no acting field, no shard list", () => {
    const r = readiness({ leader: false, snapshot: snap() });
    expect(r.shards).toBeUndefined();
    for (const c of r.clusters ?? []) expect(c).not.toHaveProperty("acting");
  });
});
