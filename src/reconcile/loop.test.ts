import { describe, expect, it } from "vitest";
import { heldByCanary } from "./loop.ts";
import type { ClusterResult } from "./cluster.ts";
import type { ReleaseResult } from "./release.ts";

const rel = (name: string, application: string, outcome: ReleaseResult["outcome"]): ReleaseResult =>
  ({ name, namespace: application, application, outcome, reason: outcome === "failed" ? "upgrade failed" : "ok", records: [] }) as unknown as ReleaseResult;

const cluster = (name: string, releases: ReleaseResult[], reachable = true): ClusterResult => ({ cluster: name, reachable, releases });

describe("heldByCanary", () => {
  const canary = new Map([["shop", ["prod-hk"]]]);
  it.each<[string, ClusterResult[], Array<[string, string]>]>([
    ["a healthy canary lets the rest go", [cluster("prod-hk", [rel("shop-api", "shop", "applied")])], []],
    [
      "a failed canary holds the application back",
      [cluster("prod-hk", [rel("shop-api", "shop", "failed"), rel("blog-web", "blog", "applied")])],
      [["shop", "waiting for canary cluster prod-hk: shop-api failed (upgrade failed)"]],
    ],
    ["an unreachable canary holds it back", [cluster("prod-hk", [], false)], [["shop", "waiting for canary cluster prod-hk, which is unreachable"]]],
    ["another application's failure does not", [cluster("prod-hk", [rel("blog-web", "blog", "failed")])], []],
  ])("%s", (_, results, want) => {
    expect([...heldByCanary(canary, results)]).toEqual(want);
  });
});
