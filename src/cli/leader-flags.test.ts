import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { UsageError } from "../errors.ts";
import { leaderFromFlags, shardsFromFlags } from "./leader-flags.ts";

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

describe("shardsFromFlags", () => {
  it("without --shards there is no sharding, and --leader-elect alone elects one leader", () => {
    expect(shardsFromFlags({ leaderElect: true }, log, {})).toBeUndefined();
  });

  it.each([
    [{ shards: "6" }, /--shards 6 needs --leader-elect/],
    [{ shards: "0", leaderElect: true }, /--shards must be a positive whole number/],
    [{ shards: "x", leaderElect: true }, /--shards must be a positive whole number/],
    [{ shards: "6", leaderElect: true, leaseDuration: "2" }, /at least 3 seconds/],
  ])("rejects %j", (f, msg) => {
    expect(() => shardsFromFlags(f, log, {})).toThrow(UsageError);
    expect(() => shardsFromFlags(f, log, {})).toThrow(msg);
  });

  it("with --shards, no single-Lease election is started beside the shards", () => {
    expect(leaderFromFlags({ leaderElect: true, shards: "6" }, log, {})).toBeUndefined();
  });
});
