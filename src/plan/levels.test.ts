import { describe, expect, it } from "vitest";
import { byLevel, dependencyLevels } from "./levels.ts";

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe("dependencyLevels", () => {
  it.each<[string, Record<string, string[]>, string[][]]>([
    ["nothing needs anything: one level", { a: [], b: [] }, [["a", "b"]]],
    ["a chain", { api: ["db"], db: [], web: ["api"] }, [["db"], ["api"], ["web"]]],
    ["a diamond: the join waits on the longest path", { a: [], b: ["a"], c: ["a", "b"], d: ["b", "c"] }, [["a"], ["b"], ["c"], ["d"]]],
    ["two roots, one join", { api: ["db", "cache"], cache: [], db: [] }, [["cache", "db"], ["api"]]],
    ["a need outside the picture is ignored", { api: ["other-app-db"] }, [["api"]]],
    ["a cycle is cut where it closes", { a: ["b"], b: ["a"], c: ["a"] }, [["b"], ["a"], ["c"]]],
  ])("%s", (_name, edges, levels) => {
    expect(byLevel(dependencyLevels(graph(edges)))).toEqual(levels);
  });
});
