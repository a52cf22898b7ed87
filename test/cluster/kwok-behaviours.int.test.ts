// What the kwok Stages (kwok-stages.yaml), the PersistentVolume pool and
// kwok's logs (kwok-logs.ts) give tests: Jobs that complete or fail, Pods that
// crash, claims that bind, and logs kubectl can read and follow.
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from "@kubernetes/client-node";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitUntil } from "./bootstrap.ts";
import { KWOK_LOG_LINES, KWOK_PREVIOUS_LOG_LINES } from "./kwok-logs.ts";

const [cluster] = inject("clusters");
const binaries = inject("binaries");
const kc = new KubeConfig();
kc.loadFromFile(cluster!.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const batch = kc.makeApiClient(BatchV1Api);
const namespace = "it-kwok";

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace });
});

function job(name: string, image: string): V1Job {
  return {
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image }] } },
    },
  };
}

async function jobOutcome(name: string): Promise<string> {
  return waitUntil(
    `Job ${name} to finish`,
    async () => {
      const { status } = await batch.readNamespacedJob({ name, namespace });
      return status?.conditions?.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True")
        ?.type;
    },
    60_000,
  );
}

describe("kwok behaviours", () => {
  it.each([
    { image: "registry.example.com/shop/migrate:1.0.0", outcome: "Complete", phase: "Succeeded" },
    { image: "registry.example.com/shop/migrate-fail:1.0.0", outcome: "Failed", phase: "Failed" },
  ])("a Job running $image ends $outcome", async ({ image, outcome, phase }) => {
    const name = outcome.toLowerCase();
    await batch.createNamespacedJob({ namespace, body: job(name, image) });
    expect(await jobOutcome(name)).toBe(outcome);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${name}` });
    expect(pods.items.map((p) => p.status?.phase)).toEqual([phase]);
  });

  it.each<{ how: string; image: string; labels: Record<string, string> }>([
    { how: "image", image: "registry.example.com/shop/api-crash:1", labels: {} },
    { how: "label", image: "registry.example.com/shop/api:1", labels: { "berth.dev/test-behaviour": "crash" } },
  ])("a Pod marked crash by its $how keeps restarting and is never Ready", async ({ how, image, labels }) => {
    const name = `crash-by-${how}`;
    await core.createNamespacedPod({ namespace, body: { metadata: { name, labels }, spec: { containers: [{ name: "main", image }] } } });
    const pod = await waitUntil(
      `Pod ${name} to restart twice`,
      async () => {
        const pod = await core.readNamespacedPod({ name, namespace });
        return (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 ? pod : undefined;
      },
      60_000,
    );
    expect(pod.status?.phase).toBe("Running");
    expect(pod.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe("CrashLoopBackOff");
  });

  it("binds a claim of the default StorageClass and recycles its volume", async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: {
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    });
    const claim = await waitUntil(
      "claim data to bind",
      async () => {
        const claim = await core.readNamespacedPersistentVolumeClaim({ name: "data", namespace });
        return claim.status?.phase === "Bound" ? claim : undefined;
      },
      60_000,
    );
    expect(claim.spec?.storageClassName).toBe("standard");
    expect(claim.spec?.volumeName).toMatch(/^pv-\d{3}$/);

    // deleting the claim returns its volume to the pool
    await core.deleteNamespacedPersistentVolumeClaim({ name: "data", namespace });
    const volume = await waitUntil(
      `volume ${claim.spec?.volumeName} Available again`,
      async () => {
        const volume = await core.readPersistentVolume({ name: claim.spec?.volumeName ?? "" });
        return volume.status?.phase === "Available" ? volume : undefined;
      },
      60_000,
    );
    expect(volume.spec?.claimRef).toBeUndefined();
  });

  it("makes a StatefulSet with a volume claim template Ready", async () => {
    await apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name: "redis" },
        spec: {
          replicas: 2,
          serviceName: "redis",
          selector: { matchLabels: { app: "redis" } },
          template: {
            metadata: { labels: { app: "redis" } },
            spec: {
              containers: [
                { name: "redis", image: "redis:7.2.4", volumeMounts: [{ name: "data", mountPath: "/data" }] },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
            },
          ],
        },
      },
    });
    const status = await waitUntil(
      "StatefulSet redis Ready",
      async () => {
        const { status } = await apps.readNamespacedStatefulSet({ name: "redis", namespace });
        return status?.readyReplicas === 2 ? status : undefined;
      },
      90_000,
    );
    expect(status.currentReplicas).toBe(2);
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: "app=redis" });
    expect(claims.items.map((c) => c.status?.phase)).toEqual(["Bound", "Bound"]);
  });

  describe("logs", () => {
    const kubectl = (...args: string[]) => ["--kubeconfig", cluster!.kubeconfig, "-n", namespace, ...args];

    beforeAll(async () => {
      await core.createNamespacedPod({ namespace, body: { metadata: { name: "talker" }, spec: { containers: [{ name: "main", image: "registry.example.com/shop/api:1" }] } } });
      await waitUntil(
        "Pod talker Running",
        async () => ((await core.readNamespacedPod({ name: "talker", namespace })).status?.phase === "Running" ? true : undefined),
        60_000,
      );
    });

    it("kubectl logs prints every container's lines from kwok's server; --tail the last ones, --previous the previous run's", async () => {
      expect((await execa(binaries.kubectl, kubectl("logs", "talker"))).stdout).toBe(KWOK_LOG_LINES.join("\n"));
      expect((await execa(binaries.kubectl, kubectl("logs", "talker", "--tail=2"))).stdout).toBe(KWOK_LOG_LINES.slice(-2).join("\n"));
      expect((await execa(binaries.kubectl, kubectl("logs", "talker", "--previous"))).stdout).toBe(KWOK_PREVIOUS_LOG_LINES.join("\n"));
      const node = await core.readNode({ name: "kwok-node-0" });
      expect(node.status?.addresses).toEqual([{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: "kwok-node-0" }]);
      expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBeGreaterThan(0);
    });

    it("kubectl logs -f prints the lines and keeps following until stopped", async () => {
      const follow = execa(binaries.kubectl, kubectl("logs", "talker", "--follow"), { reject: false });
      let out = "";
      follow.stdout.setEncoding("utf8");
      follow.stdout.on("data", (chunk: string) => (out += chunk));
      await waitUntil("the followed lines", async () => (out === `${KWOK_LOG_LINES.join("\n")}\n` ? true : undefined), 30_000, 50);
      // a follow only ends when the client stops it: still running a moment later
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(follow.exitCode).toBeNull();
      follow.kill();
      expect((await follow).stdout).toBe(KWOK_LOG_LINES.join("\n"));
    });
  });
});
