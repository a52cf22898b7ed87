import { describe, expect, it } from "vitest";
import { backoffMs } from "./backoff.ts";

const policy = { baseMs: 1000, maxMs: 10_000, attempts: 8 };

describe("backoffMs", () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [20, 10_000],
  ])("after %i failed tries waits below %i ms (full jitter)", (attempt, ceiling) => {
    expect(backoffMs(attempt, policy, () => 0.999999)).toBe(Math.floor(0.999999 * ceiling));
    expect(backoffMs(attempt, policy, () => 0)).toBe(0);
    expect(backoffMs(attempt, policy, () => 0.5)).toBe(ceiling / 2);
  });
});
