// When to look for drift in a long-running berth: after a leader's reconcile
// pass, at most once per interval (a check reads every object of every
// release, so it runs less often than the source is polled).
import type { Logger } from "../log.ts";
import type { DriftRun, DriftRunOptions } from "./loop.ts";

export interface DriftScheduleOptions {
  check(opts: DriftRunOptions): Promise<DriftRun>;
  /** 0 switches drift checks off. */
  intervalMs: number;
  onDrift?: (cluster: string, release: string, count: number) => void;
  /** The newest run, for the status API. */
  onRun?: (run: DriftRun) => void;
  log: Logger;
  now?: () => number;
}

/** A function to call after each leader pass; it checks when the interval has passed since the last check. */
export function driftSchedule(o: DriftScheduleOptions): () => Promise<DriftRun | undefined> {
  const now = o.now ?? Date.now;
  let last: number | undefined;
  return async () => {
    if (o.intervalMs <= 0) return undefined;
    if (last !== undefined && now() - last < o.intervalMs) return undefined;
    last = now();
    const run = await o.check(o.onDrift ? { onDrift: o.onDrift } : {});
    const drifted = run.reports.filter((r) => r.count > 0);
    o.log.info(
      { revision: run.revision, releases: run.reports.length, drifted: drifted.length, corrected: run.reports.filter((r) => r.corrected === "succeeded").length, durationMs: now() - last },
      "drift check",
    );
    o.onRun?.(run);
    return run;
  };
}
