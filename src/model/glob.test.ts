import { describe, expect, it } from "vitest";
import { globMatches, matchesAnyGlob } from "./glob.ts";

describe("globMatches", () => {
  it.each<[string, string, boolean]>([
    ["shop", "shop", true],
    ["shop", "shop-dev", false],
    ["shop-*", "shop-dev", true],
    ["shop-*", "shop-", true],
    ["shop-*", "shop", false],
    ["*-shop", "eu-shop", true],
    ["shop-?", "shop-1", true],
    ["shop-?", "shop-12", false],
    ["*", "anything", true],
    // regex characters are themselves
    ["shop.dev", "shopxdev", false],
    ["a+", "aa", false],
  ])("%s ~ %s -> %s", (glob, name, want) => {
    expect(globMatches(glob, name)).toBe(want);
  });

  it("matchesAnyGlob is false for no globs", () => {
    expect(matchesAnyGlob([], "shop")).toBe(false);
    expect(matchesAnyGlob(["x", "shop-*"], "shop-a")).toBe(true);
  });
});
