import { describe, expect, it } from "vitest";
import { clusterCount } from "../cluster/global-setup.ts";

describe("BERTH_TEST_CLUSTERS", () => {
  it.each([
    { value: undefined, count: 2 },
    { value: "1", count: 1 },
    { value: "3", count: 3 },
  ])("$value starts $count cluster(s)", ({ value, count }) => {
    expect(clusterCount(value === undefined ? {} : { BERTH_TEST_CLUSTERS: value })).toBe(count);
  });

  it.each(["0", "4", "two", "1.5"])("rejects %s and names the allowed range", (value) => {
    expect(() => clusterCount({ BERTH_TEST_CLUSTERS: value })).toThrow(
      `BERTH_TEST_CLUSTERS=${value}: expected a whole number from 1 to 3`,
    );
  });
});
