import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { UsageError } from "../errors.ts";
import { leaderFromFlags } from "./leader-flags.ts";

const log = pino({ level: "silent" });

describe("leaderFromFlags", () => {
  it("without --leader-elect there is no election: the replica always acts", () => {
    expect(leaderFromFlags({ leaseName: "berth" }, log, {})).toBeUndefined();
  });

  it.each([
    ["2", /at least 3 seconds/],
    ["x", /--lease-duration must be a positive whole number/],
  ])("rejects --lease-duration %s", (d, msg) => {
    expect(() => leaderFromFlags({ leaderElect: true, leaseDuration: d }, log, {})).toThrow(UsageError);
    expect(() => leaderFromFlags({ leaderElect: true, leaseDuration: d }, log, {})).toThrow(msg);
  });
});
