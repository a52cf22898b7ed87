import { describe, expect, it } from "vitest";
import { heldByCanary, waves, type WaveOutcome } from "./rollout.ts";

const rel = (name: string, application: string, outcome: string) => ({ name, application, outcome, reason: outcome === "failed" ? "upgrade failed" : "ok" });
const cluster = (name: string, releases: WaveOutcome["releases"], reachable = true): WaveOutcome => ({ cluster: name, reachable, releases });

describe("heldByCanary", () => {
  const canary = new Map([["shop", ["prod-hk"]]]);
  it.each<[string, WaveOutcome[], Array<[string, string]>]>([
    ["a healthy canary lets the rest go", [cluster("prod-hk", [rel("shop-api", "shop", "applied")])], []],
    [
      "a failed canary holds the application back",
      [cluster("prod-hk", [rel("shop-api", "shop", "failed"), rel("blog-web", "blog", "applied")])],
      [["shop", "waiting for canary cluster prod-hk: shop-api failed (upgrade failed)"]],
    ],
    ["a blocked canary release holds it back too", [cluster("prod-hk", [rel("shop-api", "shop", "blocked")])], [["shop", "waiting for canary cluster prod-hk: shop-api blocked (ok)"]]],
    ["an unreachable canary holds it back", [cluster("prod-hk", [], false)], [["shop", "waiting for canary cluster prod-hk, which is unreachable"]]],
    ["another application's failure does not", [cluster("prod-hk", [rel("blog-web", "blog", "failed")])], []],
  ])("%s", (_, results, want) => {
    expect([...heldByCanary(canary, results)]).toEqual(want);
  });
});

describe("waves", () => {
  it("puts every application's canaries first, in the clusters' order", () => {
    const cs = ["dev", "prod-eu", "prod-hk", "staging"].map((name) => ({ name }));
    const w = waves(cs, new Map([["shop", ["prod-hk"]], ["blog", ["staging"]]]));
    expect(w.first.map((c) => c.name)).toEqual(["prod-hk", "staging"]);
    expect(w.rest.map((c) => c.name)).toEqual(["dev", "prod-eu"]);
  });
});
