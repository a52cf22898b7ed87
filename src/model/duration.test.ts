import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["500ms", 500],
  ])("%s is %i ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "10", "1d", "m10", "10 m", "-1s"])("refuses %j", (text) => expect(parseDuration(text)).toBeUndefined());
});
