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
