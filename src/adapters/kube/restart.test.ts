import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { isRestartable, restartPatch, rfc3339, RESTART_FIELD_MANAGER, workloadRestarter } from "./restart.ts";

const at = new Date("2024-05-02T09:30:00.123Z");

describe("restartPatch", () => {
  it("sets only the pod template's restartedAt annotation, to the second, as kubectl rollout restart does", () => {
    expect(restartPatch(at)).toEqual({ spec: { template: { metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": "2024-05-02T09:30:00Z" } } } } });
    expect(rfc3339(new Date("2024-12-31T23:59:59.999Z"))).toBe("2024-12-31T23:59:59Z");
  });

  it.each([
    ["Deployment", true],
    ["StatefulSet", true],
    ["DaemonSet", true],
    ["Job", false],
    ["CronJob", false],
    ["ReplicaSet", false],
  ])("%s restartable: %s", (kind, want) => {
    expect(isRestartable(kind)).toBe(want);
  });
});

function fakeApps(paused = false) {
  const patches: Array<{ kind: string; args: { name: string; namespace: string; body: unknown; fieldManager?: string }; contentType: unknown }> = [];
  const patch = (kind: string) => async (args: { name: string; namespace: string; body: unknown; fieldManager?: string }, opts: unknown) => {
    patches.push({ kind, args, contentType: opts });
    return {};
  };
  const apps = {
    readNamespacedDeployment: async () => ({ spec: { paused } }),
    patchNamespacedDeployment: patch("Deployment"),
    patchNamespacedStatefulSet: patch("StatefulSet"),
    patchNamespacedDaemonSet: patch("DaemonSet"),
  } as unknown as k8s.AppsV1Api;
  return { apps, patches };
}

describe("workloadRestarter", () => {
  it.each(["Deployment", "StatefulSet", "DaemonSet"] as const)("patches a %s's template under the field manager berth-restart", async (kind) => {
    const { apps, patches } = fakeApps();
    await workloadRestarter("east", apps, makeCall("east", 1_000)).restartWorkload({ kind, namespace: "shop", name: "shop-api" }, at);
    expect(patches).toHaveLength(1);
    expect(patches[0]!.kind).toBe(kind);
    expect(patches[0]!.args).toEqual({ name: "shop-api", namespace: "shop", body: restartPatch(at), fieldManager: RESTART_FIELD_MANAGER });
  });

  it("refuses a paused Deployment, as kubectl does, and patches nothing", async () => {
    const { apps, patches } = fakeApps(true);
    await expect(workloadRestarter("east", apps, makeCall("east", 1_000)).restartWorkload({ kind: "Deployment", namespace: "shop", name: "shop-api" }, at)).rejects.toThrow(
      "cluster east: Deployment shop/shop-api is paused (spec.paused): resume its rollout first; nothing was restarted",
    );
    expect(patches).toEqual([]);
  });
});
