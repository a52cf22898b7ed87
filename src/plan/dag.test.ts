import { describe, expect, it } from "vitest";
import { buildGraph, dependentsOf } from "./dag.ts";
import { spec } from "./test-specs.ts";

describe("buildGraph", () => {
  it("orders dependsOn and requires edges, ties by name", () => {
    const g = buildGraph([
      spec("shop-api", { dependsOn: ["shop-init"], requires: [{ component: "redis", range: ">=7.0.0 <8" }] }),
      spec("shop-init", { dependsOn: ["shop-redis"] }),
      spec("shop-redis", { component: { name: "redis", version: "7.2.4" } }),
      spec("blog-web"),
    ]);
    expect(g.order).toEqual(["blog-web", "shop-redis", "shop-init", "shop-api"]);
    expect(g.needs.get("shop-api")).toEqual(["shop-init", "shop-redis"]);
    expect(g.unmet.size).toBe(0);
  });

  it.each([
    [
      "a version out of range",
      [spec("shop-redis", { component: { name: "redis", version: "6.2.0" } })],
      'requires redis ">=7.0.0 <8" on cluster east; found shop-redis at 6.2.0',
    ],
    ["no release at all", [], 'requires redis ">=7.0.0 <8" on cluster east; no release of it is placed there'],
  ])("reports an unmet requires: %s", (_, others, reason) => {
    const g = buildGraph([spec("shop-api", { requires: [{ component: "redis", range: ">=7.0.0 <8" }] }), ...others]);
    expect(g.unmet.get("shop-api")).toBe(reason);
  });

  it("says where an unmet requires is declared", () => {
    const declared = { requires: { redis: "components/api.yaml:12:21 spec.requires.redis" }, upgrades: {} };
    const g = buildGraph([spec("shop-api", { requires: [{ component: "redis", range: ">=7.0.0 <8" }], declared })]);
    expect(g.unmet.get("shop-api")).toBe('requires redis ">=7.0.0 <8" on cluster east; no release of it is placed there (components/api.yaml:12:21 spec.requires.redis)');
  });

  it("lets an external stand-in satisfy requires", () => {
    const g = buildGraph([
      spec("shop-api", { requires: [{ component: "redis", range: ">=7.0.0 <8" }] }),
      spec("shop-redis", { component: { name: "redis", version: "6.0.0" }, external: { host: "r", port: 1 } }),
    ]);
    expect(g.unmet.size).toBe(0);
    expect(g.needs.get("shop-api")).toEqual(["shop-redis"]);
  });

  it("names a cycle", () => {
    const g = buildGraph([spec("x-a", { dependsOn: ["x-b"] }), spec("x-b", { dependsOn: ["x-a"] }), spec("x-c")]);
    expect(g.unmet.get("x-a")).toBe("dependency cycle: x-a -> x-b -> x-a");
    expect(g.order[0]).toBe("x-c");
  });

  it("finds transitive dependents", () => {
    const g = buildGraph([spec("s-a"), spec("s-b", { dependsOn: ["s-a"] }), spec("s-c", { dependsOn: ["s-b"] }), spec("s-d")]);
    expect(dependentsOf(g, "s-a")).toEqual(["s-b", "s-c"]);
  });
});
