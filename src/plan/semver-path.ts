// Which declared steps a version move runs. Pure.
import semver from "semver";
import { stepKey, type StepSpec, type UpgradeStep } from "../model/types.ts";
import type { RememberedStep } from "./observed.ts";

export type PathResult<T> = { ok: true; steps: T[] } | { ok: false; reason: string };

/**
 * Upgrade from `deployed` to `target`: for every step version `to` in
 * (deployed, target], ascending, the step whose `from` range holds the version
 * reached so far runs once. A `to` with steps none of which accepts that
 * version means there is no declared path: the upgrade is blocked rather than
 * skipping a migration.
 */
export function upgradePath(
  steps: UpgradeStep[],
  deployed: string,
  target: string,
  declared: Readonly<Record<string, string>> = {},
): PathResult<UpgradeStep> {
  const crossed = steps.filter((s) => semver.gt(s.to, deployed) && semver.lte(s.to, target));
  const tos = [...new Set(crossed.map((s) => s.to))].sort(semver.compare);
  const path: UpgradeStep[] = [];
  let current = deployed;
  for (const to of tos) {
    const candidates = crossed.filter((s) => s.to === to);
    const step = candidates.find((s) => semver.satisfies(current, s.from, { includePrerelease: true }));
    if (!step) {
      const at = (s: UpgradeStep) => declared[stepKey(s)];
      const accepted = candidates.map((s) => `"${s.from}"${at(s) ? ` (${at(s)})` : ""}`).join(" or ");
      return {
        ok: false,
        reason:
          `no upgrade path from ${deployed} to ${target}: the step to ${to} accepts ${accepted}, but the version reached is ${current}; ` +
          `widen its from to include ${current}, or declare a step to ${to} from ${current}`,
      };
    }
    path.push(step);
    current = to;
  }
  return { ok: true, steps: path };
}

/**
 * Downgrade from `deployed` to `target`: the rollback steps of every upgrade
 * crossed, in reverse order. Steps come from git and from what berth
 * remembered running (a withdrawn version is gone from git).
 */
export function rollbackSteps(
  known: Array<UpgradeStep | RememberedStep>,
  deployed: string,
  target: string,
): Array<{ to: string; rollback: StepSpec }> {
  const byTo = new Map<string, StepSpec>();
  for (const s of known) {
    if (!s.rollback) continue;
    if (semver.gt(s.to, target) && semver.lte(s.to, deployed) && !byTo.has(s.to)) byTo.set(s.to, s.rollback);
  }
  return [...byTo.entries()]
    .sort(([a], [b]) => semver.rcompare(a, b))
    .map(([to, rollback]) => ({ to, rollback }));
}
