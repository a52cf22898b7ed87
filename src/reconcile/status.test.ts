import { describe, expect, it } from "vitest";
import type { KubeClient } from "../adapters/kube.ts";
import type { ClusterTarget } from "./cluster.ts";
import { clusterStatus } from "./status.ts";

describe("clusterStatus", () => {
  it("a cluster the dry pass found unreachable is not asked again (a hung cluster costs one timeout, not two)", async () => {
    let calls = 0;
    const kube = new Proxy({}, { get: () => () => (calls++, Promise.reject(new Error("should not be called"))) }) as unknown as KubeClient;
    const target = { name: "east", paused: false, allowEmpty: false, kube, helm: {} } as unknown as ClusterTarget;
    const s = await clusterStatus(target, [], { seen: { unreachable: "cluster east: connect ETIMEDOUT" } });
    expect(s).toEqual({ name: "east", paused: false, reachable: false, error: "cluster east: connect ETIMEDOUT", releases: [] });
    expect(calls).toBe(0);
  });
});
