import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../reconcile/progress.ts";
import { applyEvent, frame, lineFor, newProgress, releaseLine, seconds } from "./progress-view.ts";

/** Feeds events at the given times (ms since the pass began) and returns the state. */
function play(events: Array<[number, ProgressEvent]>) {
  const s = newProgress(0);
  const lines: string[] = [];
  for (const [at, e] of events) {
    applyEvent(s, e, at);
    const l = lineFor(s, e, at);
    if (l !== undefined) lines.push(l);
  }
  return { s, lines };
}

const done = (cluster: string, release: string, over: Partial<Extract<ProgressEvent, { kind: "release-done" }>> = {}): ProgressEvent => ({
  kind: "release-done", cluster, release, result: "applied", actions: ["install"], to: "1.0.0", ms: 1200, ...over,
});

// A reconcile on two clusters: west waits on the canary east; on east, shop-api waits on shop-init.
const pass: Array<[number, ProgressEvent]> = [
  [0, { kind: "waiting", cluster: "west", on: [{ name: "east", via: "canary" }] }],
  [0, { kind: "cluster-start", cluster: "east", work: "reconcile" }],
  [300, { kind: "cluster-planned", cluster: "east", total: 3, changing: 3 }],
  [300, { kind: "waiting", cluster: "east", release: "shop-api", on: [{ name: "shop-init", via: "dependsOn" }, { name: "shop-cache", via: "requires" }] }],
  [300, { kind: "release-start", cluster: "east", release: "shop-cache", action: "install" }],
  [1500, done("east", "shop-cache")],
  [1500, { kind: "release-start", cluster: "east", release: "shop-init", action: "upgrade" }],
];

describe("the live block (tty)", () => {
  it("per cluster: done of total, what runs and for how long, what waits on what, and the clocks", () => {
    const { s } = play(pass);
    expect(frame(s, { title: "reconcile", now: 2600 })).toEqual([
      "berth reconcile  2.6 s",
      "  east  1/3 done: 1 applied, 1 running (2.6 s)",
      "    shop-init upgrade (1.1 s)",
      "    shop-api waits on shop-init (dependsOn), shop-cache (requires)",
      "  west  waiting on canary cluster east",
    ]);
  });

  it("the finished pass: totals and outcomes, nothing running", () => {
    const { s } = play([
      ...pass,
      [4000, done("east", "shop-init", { actions: ["upgrade"], from: "1.0.0", to: "1.1.0", ms: 2500 })],
      [4000, { kind: "release-start", cluster: "east", release: "shop-api", action: "install" }],
      [5000, done("east", "shop-api", { result: "failed", reason: "helm: timed out\nmore" })],
      [5000, { kind: "cluster-done", cluster: "east", reachable: true, ms: 5000 }],
      [5000, { kind: "cluster-start", cluster: "west", work: "reconcile" }],
      [6000, { kind: "cluster-done", cluster: "west", reachable: false, error: "connect ECONNREFUSED 127.0.0.1:6443", ms: 1000 }],
    ]);
    expect(frame(s, { title: "reconcile", now: 6000, detail: 0 })).toEqual([
      "berth reconcile  6.0 s",
      "  east  3/3 done: 2 applied, 1 failed, 0 unchanged (5.0 s)",
      "  west  UNREACHABLE: connect ECONNREFUSED 127.0.0.1:6443 (1.0 s)",
    ]);
  });

  it("many running and waiting releases are counted past the detail; lines are cut to the terminal", () => {
    const events: Array<[number, ProgressEvent]> = [[0, { kind: "cluster-start", cluster: "prod-eu", work: "reconcile" }], [0, { kind: "cluster-planned", cluster: "prod-eu", total: 200, changing: 8 }]];
    for (let i = 0; i < 8; i++) events.push([0, { kind: "release-start", cluster: "prod-eu", release: `app-${i}`, action: "upgrade" }]);
    const { s } = play(events);
    const f = frame(s, { title: "reconcile", now: 1000, detail: 2, columns: 30 });
    expect(f).toEqual(["berth reconcile  1.0 s", "  prod-eu  0/200 done: 8 run…", "    app-0 upgrade (1.0 s)", "    app-1 upgrade (1.0 s)", "    … and 6 more"]);
    for (const l of f) expect(l.length).toBeLessThan(30);
  });

  it("plan and status read clusters; drift counts the releases it checked", () => {
    const { s } = play([
      [0, { kind: "cluster-start", cluster: "east", work: "read" }],
      [0, { kind: "cluster-start", cluster: "west", work: "drift" }],
      [200, { kind: "cluster-planned", cluster: "east", total: 40, changing: 3 }],
      [200, { kind: "cluster-planned", cluster: "west", total: 12, changing: 0 }],
      [300, { kind: "release-checked", cluster: "west", release: "a", drifted: 0 }],
      [400, { kind: "release-checked", cluster: "west", release: "b", drifted: 2 }],
    ]);
    expect(frame(s, { title: "status", now: 500 }).slice(1)).toEqual(["  east  reading (0.5 s)", "  west  2/12 checked, 1 drifted (0.5 s)"]);
    applyEvent(s, { kind: "cluster-done", cluster: "east", reachable: true, ms: 800 }, 800);
    expect(frame(s, { title: "status", now: 800 })[1]).toBe("  east  40 releases read, 3 to change (0.8 s)");
  });
});

describe("lines (not a terminal)", () => {
  it("one line per finished release that did something, cluster totals, and who waits on a canary", () => {
    const { lines } = play([
      ...pass,
      [4000, done("east", "shop-init", { actions: ["upgrade"], from: "1.0.0", to: "1.1.0", ms: 2500 })],
      [4100, done("east", "shop-other", { result: "unchanged", actions: [], ms: 0 })],
      [5000, done("east", "shop-api", { result: "blocked", actions: [], reason: "needs shop-init, which is not healthy", ms: 0 })],
      [5000, { kind: "cluster-done", cluster: "east", reachable: true, ms: 5000 }],
    ]);
    expect(lines).toEqual([
      "west waits on canary cluster east",
      "east: 3 releases, 3 to change",
      "east shop-cache installed 1.0.0 (1.2 s)",
      "east shop-init upgraded 1.0.0 -> 1.1.0 (2.5 s)",
      "east shop-api blocked: needs shop-init, which is not healthy",
      "east: 3/3 done: 2 applied, 1 blocked, 0 unchanged (5.0 s)",
    ]);
  });

  it("drift: drifted releases and the cluster's count; a read says what it read", () => {
    const { lines } = play([
      [0, { kind: "cluster-start", cluster: "east", work: "read" }],
      [100, { kind: "cluster-planned", cluster: "east", total: 2, changing: 0 }],
      [100, { kind: "cluster-done", cluster: "east", reachable: true, ms: 100 }],
      [100, { kind: "cluster-start", cluster: "east", work: "drift" }],
      [100, { kind: "cluster-planned", cluster: "east", total: 2, changing: 0 }],
      [300, { kind: "release-checked", cluster: "east", release: "shop-api", drifted: 1 }],
      [300, { kind: "release-checked", cluster: "east", release: "shop-db", drifted: 0 }],
      [400, { kind: "cluster-done", cluster: "east", reachable: true, ms: 300 }],
    ]);
    expect(lines).toEqual([
      "east: 2 releases read, nothing to change (0.1 s)",
      "east: checking 2 releases",
      "east shop-api: 1 field drifted",
      "east: 2/2 checked, 1 drifted (0.3 s)",
    ]);
  });

  it.each<[string, Extract<ProgressEvent, { kind: "release-done" }>, string]>([
    ["an upgrade", { kind: "release-done", cluster: "prod-eu", release: "shop-api", result: "applied", actions: ["upgrade"], from: "1.0.0", to: "1.1.0", ms: 2100 }, "prod-eu shop-api upgraded 1.0.0 -> 1.1.0 (2.1 s)"],
    ["several actions", { kind: "release-done", cluster: "east", release: "a", result: "applied", actions: ["unlock", "remediate"], ms: 61_000 }, "east a unlocked, remediated (1 min 01 s)"],
    ["a failure, first line of its reason", { kind: "release-done", cluster: "east", release: "a", result: "failed", actions: ["install"], to: "2.0.0", reason: "Error: timed out\nstack", ms: 300_000 }, "east a failed to install 2.0.0 (5 min 00 s): Error: timed out"],
    ["an uninstall", { kind: "release-done", cluster: "east", release: "old", result: "applied", actions: ["uninstall"], ms: 900 }, "east old uninstalled (0.9 s)"],
  ])("%s", (_n, e, want) => {
    expect(releaseLine(e)).toBe(want);
  });

  it("seconds", () => {
    expect([0, 2149, 59_999, 60_000, 3_725_000].map(seconds)).toEqual(["0.0 s", "2.1 s", "60.0 s", "1 min 00 s", "62 min 05 s"]);
  });
});
