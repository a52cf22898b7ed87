import { describe, expect, it } from "vitest";
import type { KubeClient } from "../adapters/kube.ts";
import type { ClusterTarget } from "./cluster.ts";
import type { ActionRecord } from "./memo.ts";
import { clusterStatus, formatStatus } from "./status.ts";

describe("clusterStatus", () => {
  it("a cluster the dry pass found unreachable is not asked again (a hung cluster costs one timeout, not two)", async () => {
    let calls = 0;
    const kube = new Proxy({}, { get: () => () => (calls++, Promise.reject(new Error("should not be called"))) }) as unknown as KubeClient;
    const target = { name: "east", paused: false, allowEmpty: false, kube, helm: {} } as unknown as ClusterTarget;
    const s = await clusterStatus(target, [], { seen: { unreachable: "cluster east: connect ETIMEDOUT" } });
    expect(s).toEqual({ name: "east", paused: false, reachable: false, error: "cluster east: connect ETIMEDOUT", releases: [] });
    expect(calls).toBe(0);
  });

  it("a sync or resume someone asked for is not the release's last action: a failed upgrade stays its last action and error", async () => {
    const rec = (action: ActionRecord["action"], result: ActionRecord["result"], error?: string): ActionRecord => ({
      at: "2025-01-01T00:00:00.000Z",
      commit: "c1",
      cluster: "east",
      release: "shop-api",
      namespace: "shop",
      action,
      steps: [],
      result,
      ...(error ? { error } : {}),
      durationMs: 1,
    });
    const observed = [{ name: "shop-api", namespace: "shop", managed: true, prune: false, revisions: [{ revision: 2, status: "failed" as const, version: "3.0.6" }] }];
    const books = new Map([["shop/shop-api", { memo: { failures: 1, steps: [] } as never, records: [rec("upgrade", "failed", "boom"), rec("sync", "succeeded"), rec("resume", "succeeded")] }]]);
    const target = { name: "east", paused: false, allowEmpty: false, kube: {} as KubeClient, helm: {} } as unknown as ClusterTarget;
    const s = await clusterStatus(target, [], { seen: { observed, books, records: [] } });
    expect(s.releases[0]).toMatchObject({ name: "shop-api", lastAction: { action: "upgrade", result: "failed" }, lastError: "boom", state: "failed" });
  });
});

describe("formatStatus", () => {
  it("a cluster line says its shard, and what the cluster stores of its last applied revision, by whom and since when", () => {
    const text = formatStatus({
      source: "git@example:team/defs",
      revision: "0123456789abcdef",
      clusters: [
        { name: "east", reachable: true, paused: false, releases: [], shard: 2, lastAppliedRevision: "0123456789abcdef", appliedBy: "replica-a", appliedSince: "2026-12-03T00:00:00.000Z" },
        { name: "west", reachable: true, paused: false, releases: [] },
      ],
    });
    expect(text).toContain("cluster east (shard 2): reachable\n  applied 0123456789ab by replica-a since 2026-12-03T00:00:00.000Z\n");
    expect(text).toContain("cluster west: reachable\n");
    expect(text).not.toMatch(/cluster west: reachable\n {2}applied/);
  });
});
