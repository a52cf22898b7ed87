import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { driftSchedule } from "./drift-schedule.ts";
import type { DriftRun } from "./loop.ts";

const log = pino({ level: "silent" });

describe("driftSchedule", () => {
  const cases: Array<[string, number, number[], number]> = [
    ["checks on the first pass, then once per interval", 300_000, [0, 10_000, 299_999, 300_000, 310_000, 600_000], 3],
    ["interval 0 switches it off", 0, [0, 1_000_000], 0],
  ];
  it.each(cases)("%s", async (_n, intervalMs, passes, checks) => {
    let t = 0;
    let calls = 0;
    const runs: DriftRun[] = [];
    const after = driftSchedule({
      intervalMs,
      log,
      now: () => t,
      check: async () => {
        calls++;
        return { revision: "abc", reports: [] };
      },
      onRun: (r) => runs.push(r),
    });
    for (const at of passes) {
      t = at;
      await after();
    }
    expect(calls).toBe(checks);
    expect(runs.length).toBe(checks);
  });

  it("hands the metrics hook to the check", async () => {
    const seen: unknown[] = [];
    const onDrift = () => undefined;
    await driftSchedule({ intervalMs: 1, log, onDrift, check: async (o) => (seen.push(o.onDrift), { reports: [] }) })();
    expect(seen).toEqual([onDrift]);
  });
});
