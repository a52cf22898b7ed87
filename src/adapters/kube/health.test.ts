import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { healthReader } from "./health.ts";
import type { DeployedManifest } from "./helm-storage.ts";

const manifest = (names: string[]) => names.map((n) => `---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${n} }\n`).join("") + "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: { name: agent }\n";
const available = (n: number) => ({ metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, availableReplicas: n, updatedReplicas: 1 } });

// The API server as the reader sees it: Deployments and DaemonSets by name, every read counted.
function fake(deployed: DeployedManifest | undefined) {
  const state = { deployed, manifestReads: 0, gets: [] as string[], live: new Map<string, unknown>() };
  const get = (kind: string) => async ({ name, namespace }: { name: string; namespace: string }) => {
    state.gets.push(`${kind} ${namespace}/${name}`);
    const o = state.live.get(`${kind}/${name}`);
    if (!o) throw Object.assign(new Error("NotFound"), { code: 404 });
    return o;
  };
  const apps = { readNamespacedDeployment: get("Deployment"), readNamespacedDaemonSet: get("DaemonSet"), readNamespacedStatefulSet: get("StatefulSet") } as unknown as k8s.AppsV1Api;
  const batch = { readNamespacedJob: get("Job") } as unknown as k8s.BatchV1Api;
  const storage = {
    async readManifest() {
      state.manifestReads++;
      return state.deployed;
    },
  };
  return { reader: healthReader({ apps, batch, call: makeCall("east", 1_000), storage, pollMs: 5 }), state };
}

const shop = { namespace: "shop", name: "shop-web", workloadKind: "Deployment" as const };

describe("healthReader", () => {
  it("reads every workload of the manifest, whatever its name, and names the first unhealthy one", async () => {
    const { reader, state } = fake({ revision: 1, manifest: manifest(["front", "back"]), config: {} });
    state.live.set("Deployment/front", available(1));
    state.live.set("Deployment/back", available(0));
    state.live.set("DaemonSet/agent", { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 1, numberAvailable: 1, updatedNumberScheduled: 1 } });
    expect(await reader.healthy({ ...shop, revision: 1 })).toEqual({ healthy: false, message: "Deployment shop/back: 0/1 available" });
    expect(state.gets.sort()).toEqual(["DaemonSet shop/agent", "Deployment shop/back", "Deployment shop/front"]);
  });

  it("reads the manifest once per Helm revision (and digest), the live objects every time", async () => {
    const { reader, state } = fake({ revision: 1, manifest: manifest(["front"]), config: {} });
    state.live.set("Deployment/front", available(1));
    await reader.healthy({ ...shop, revision: 1, digest: "d1" });
    await reader.healthy({ ...shop, revision: 1, digest: "d1" });
    expect(state.manifestReads).toBe(1);
    expect(state.gets).toHaveLength(4);
    // A new revision, or the same number after a reinstall (another digest), reads it again.
    state.deployed = { revision: 2, manifest: manifest(["front"]), config: {} };
    await reader.healthy({ ...shop, revision: 2, digest: "d1" });
    await reader.healthy({ ...shop, revision: 2, digest: "d2" });
    expect(state.manifestReads).toBe(3);
    // Without a revision the caller has not observed one: read.
    await reader.healthy(shop);
    expect(state.manifestReads).toBe(4);
  });

  it("says so when the release has no deployed revision, and an External release is healthy without a call", async () => {
    const { reader, state } = fake(undefined);
    expect(await reader.healthy(shop)).toEqual({ healthy: false, message: "release shop/shop-web has no deployed revision" });
    expect(await reader.healthy({ ...shop, workloadKind: "External" })).toEqual({ healthy: true, message: "external service" });
    expect(state.manifestReads).toBe(1);
  });

  it("a manifest without workloads is healthy", async () => {
    const { reader } = fake({ revision: 1, manifest: "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n", config: {} });
    expect(await reader.healthy(shop)).toEqual({ healthy: true, message: "no workloads" });
  });

  it("waitHealthy reads the manifest once and polls the objects until healthy", async () => {
    const { reader, state } = fake({ revision: 3, manifest: manifest(["front"]), config: {} });
    state.live.set("Deployment/front", available(0));
    state.live.set("DaemonSet/agent", { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 1, numberAvailable: 0, updatedNumberScheduled: 1 } });
    setTimeout(() => {
      state.live.set("Deployment/front", available(1));
      state.live.set("DaemonSet/agent", { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 1, numberAvailable: 1, updatedNumberScheduled: 1 } });
    }, 30);
    expect(await reader.waitHealthy(shop, 2_000)).toEqual({ healthy: true, message: "2 workloads ready" });
    expect(state.manifestReads).toBe(1);
    expect(state.gets.length).toBeGreaterThan(2);
  });

  it("waitHealthy gives up at the timeout with the reason", async () => {
    const { reader } = fake({ revision: 1, manifest: manifest(["front"]), config: {} });
    expect(await reader.waitHealthy(shop, 20)).toEqual({ healthy: false, message: "Deployment shop/front: not found" });
  });
});
