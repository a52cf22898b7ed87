import { describe, expect, it } from "vitest";
import type { Reconciler, RunReport } from "./loop.ts";
import type { GitSource } from "./source.ts";
import { runWatch } from "./watch.ts";

const report: RunReport = { clusters: [], helmCalls: 0, durationMs: 0 };

function fakeReconciler() {
  let runs = 0;
  const rec = {
    runOnce: async () => {
      runs++;
      return report;
    },
  } as unknown as Reconciler;
  return { rec, runs: () => runs };
}

const remote = { kind: "remote", location: "file:///x" } as GitSource;

describe("runWatch", () => {
  it("runs at start, again on trigger before the interval, and stops on abort", async () => {
    const { rec, runs } = fakeReconciler();
    const stop = new AbortController();
    const loop = runWatch(rec, remote, { intervalMs: 60_000, signal: stop.signal, onReport: () => {}, onError: () => {} });
    await new Promise((r) => setTimeout(r, 50));
    expect(runs()).toBe(1);
    loop.trigger();
    await new Promise((r) => setTimeout(r, 50));
    expect(runs()).toBe(2);
    stop.abort();
    await loop.done;
    expect(runs()).toBe(2);
  });

  it("does not act while this replica is not the leader", async () => {
    const { rec, runs } = fakeReconciler();
    const stop = new AbortController();
    let leader = false;
    const loop = runWatch(rec, remote, { intervalMs: 20, signal: stop.signal, onReport: () => {}, onError: () => {}, mayAct: () => leader });
    await new Promise((r) => setTimeout(r, 80));
    expect(runs()).toBe(0);
    leader = true;
    await new Promise((r) => setTimeout(r, 80));
    expect(runs()).toBeGreaterThan(0);
    stop.abort();
    await loop.done;
  });
});
