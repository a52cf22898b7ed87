import { describe, expect, it } from "vitest";
import { stepKey, type UpgradeStep } from "../model/types.ts";
import { rollbackSteps, upgradePath } from "./semver-path.ts";

const step = (from: string, to: string, rb = true): UpgradeStep => ({
  from,
  to,
  run: { image: "img", args: ["up", to] },
  ...(rb ? { rollback: { image: "img", args: ["down", to] } } : {}),
});

const steps = [step(">=3.0.0 <3.0.6", "3.0.6"), step(">=3.0.6 <3.1.0", "3.1.0"), step(">=3.1.0 <4.0.0", "4.0.0", false)];

describe("upgradePath", () => {
  it.each([
    ["3.0.1", "3.0.6", ["3.0.6"]],
    ["3.0.1", "3.1.0", ["3.0.6", "3.1.0"]],
    ["3.0.1", "3.0.5", []],
    ["3.0.6", "3.1.2", ["3.1.0"]],
    ["3.0.6", "3.0.6", []],
    ["3.0.0", "4.0.0", ["3.0.6", "3.1.0", "4.0.0"]],
  ])("from %s to %s runs %j", (from, to, want) => {
    const r = upgradePath(steps, from, to);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.steps.map((s) => s.to)).toEqual(want);
  });

  it("blocks when no declared step accepts the version reached", () => {
    const r = upgradePath(steps, "2.9.0", "3.0.6");
    expect(r).toEqual({
      ok: false,
      reason:
        'no upgrade path from 2.9.0 to 3.0.6: the step to 3.0.6 accepts ">=3.0.0 <3.0.6", but the version reached is 2.9.0; ' +
        "widen its from to include 2.9.0, or declare a step to 3.0.6 from 2.9.0",
    });
  });

  it("names where the step that refuses is declared", () => {
    const declared = { [stepKey(steps.find((s) => s.to === "3.0.6")!)]: "components/api-3.0.6.yaml:9:15 spec.upgrades[0].from" };
    const r = upgradePath(steps, "2.9.0", "3.0.6", declared);
    expect(!r.ok && r.reason).toContain('accepts ">=3.0.0 <3.0.6" (components/api-3.0.6.yaml:9:15 spec.upgrades[0].from), but');
  });

  it("picks, among several steps to one version, the one whose range holds", () => {
    const alt = [step(">=2.0.0 <3.0.0", "3.0.6"), ...steps];
    const r = upgradePath(alt, "2.9.0", "3.0.6");
    expect(r.ok && r.steps[0]?.from).toBe(">=2.0.0 <3.0.0");
  });
});

describe("rollbackSteps", () => {
  it.each([
    ["3.1.0", "3.0.1", ["3.1.0", "3.0.6"]],
    ["3.1.0", "3.0.6", ["3.1.0"]],
    ["4.0.0", "3.1.0", []], // 4.0.0 declares no rollback
    ["3.0.6", "3.0.6", []],
  ])("from %s down to %s runs the rollbacks of %j", (deployed, target, want) => {
    expect(rollbackSteps(steps, deployed, target).map((s) => s.to)).toEqual(want);
  });

  it("uses remembered steps of a version withdrawn from git", () => {
    const remembered = [{ from: ">=3.0.6", to: "3.2.0", rollback: { image: "img", args: ["down", "3.2.0"] } }];
    expect(rollbackSteps([...steps, ...remembered], "3.2.0", "3.0.6").map((s) => s.rollback.args)).toEqual([
      ["down", "3.2.0"],
      ["down", "3.1.0"],
    ]);
  });
});
