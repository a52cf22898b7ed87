// The ground every later integration test stands on: two real local
// clusters, real Helm 4 and Helm 3, kwok-simulated Pods that become Ready,
// never become Ready, complete or fail, and PersistentVolumeClaims that bind.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitUntil } from "./bootstrap.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");

interface Clients {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
}

function clientsFor(kubeconfig: string): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
}

const IMAGE = "registry.example.com/berth/demo:1.0.0";
const NEVER_READY = "registry.example.com/berth/demo-never-ready:2.0.0";

const CHART: Record<string, string> = {
  "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
  "values.yaml": `image: ${IMAGE}\n`,
  "templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  strategy:
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }
  selector:
    matchLabels: { app: {{ .Release.Name }} }
  template:
    metadata:
      labels: { app: {{ .Release.Name }} }
    spec:
      containers:
        - name: app
          image: {{ .Values.image | quote }}
`,
};

let workDir = "";
let chartDir = "";
let helmEnv: Record<string, string> = {};

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "berth-cluster-it-"));
  chartDir = join(workDir, "demo");
  for (const [path, content] of Object.entries(CHART)) {
    await mkdir(join(chartDir, path, ".."), { recursive: true });
    await writeFile(join(chartDir, path), content);
  }
  // Helm's own config, cache and data stay inside this test's temp dir.
  helmEnv = {
    HELM_CONFIG_HOME: join(workDir, "helm", "config"),
    HELM_CACHE_HOME: join(workDir, "helm", "cache"),
    HELM_DATA_HOME: join(workDir, "helm", "data"),
  };
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function helm(binary: string, kubeconfig: string, args: string[]) {
  return execa(binary, [...args, "--kubeconfig", kubeconfig], { env: helmEnv });
}

interface HistoryEntry {
  revision: number;
  status: string;
}

async function history(binary: string, kubeconfig: string, release: string, namespace: string) {
  const { stdout } = await helm(binary, kubeconfig, ["history", release, "-n", namespace, "-o", "json"]);
  return (JSON.parse(stdout) as HistoryEntry[]).map(({ revision, status }) => ({ revision, status }));
}

function isAvailable(deployment: V1Deployment): boolean {
  const status = deployment.status;
  return (
    status?.observedGeneration === deployment.metadata?.generation &&
    status?.updatedReplicas === 1 &&
    status?.readyReplicas === 1 &&
    status?.replicas === 1 &&
    (status?.conditions ?? []).some((c) => c.type === "Available" && c.status === "True")
  );
}

async function availableDeployment(kubeconfig: string, name: string, namespace: string): Promise<V1Deployment> {
  const { apps } = clientsFor(kubeconfig);
  return waitUntil(
    `Deployment ${namespace}/${name} Available`,
    async () => {
      const deployment = await apps.readNamespacedDeployment({ name, namespace });
      return isAvailable(deployment) ? deployment : undefined;
    },
    60_000,
  );
}

describe.each([
  // the suite's helm: Helm 4, or Helm 3 when the suite runs with BERTH_TEST_HELM=helm3 (test/cluster/global-setup.ts)
  { helmName: "helm 4", binary: () => binaries.helm, major: process.env.BERTH_TEST_HELM === "helm3" ? "v3." : "v4." },
  { helmName: "helm 3", binary: () => binaries.helm3, major: "v3." },
])("$helmName on two clusters", ({ binary, major, helmName }) => {
  const release = `demo-${helmName.replace(" ", "")}`;
  const namespace = `it-${helmName.replace(" ", "")}`;

  it("is the pinned Helm and sees the pinned Kubernetes", async () => {
    const { stdout } = await execa(binary(), ["version", "--short"], { env: helmEnv });
    expect(stdout).toMatch(new RegExp(`^${major.replace(".", "\\.")}`));
    const kubectl = await execa(binaries.kubectl, ["version", "-o", "json", "--kubeconfig", clusters[0]!.kubeconfig]);
    expect(JSON.parse(kubectl.stdout).serverVersion.gitVersion).toBe("v1.35.4");
  });

  it("installs, fails an upgrade to a never-ready Pod, rolls back, and leaves the other cluster alone", async () => {
    expect(clusters.length).toBeGreaterThanOrEqual(2);
    const [target, other] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];

    for (const cluster of clusters) {
      await helm(binary(), cluster.kubeconfig, [
        "upgrade", "--install", release, chartDir, "-n", namespace, "--create-namespace", "--wait", "--timeout", "90s",
      ]);
      const deployment = await availableDeployment(cluster.kubeconfig, release, namespace);
      expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(IMAGE);
    }
    const otherBefore = await availableDeployment(other.kubeconfig, release, namespace);

    const failed = helm(binary(), target.kubeconfig, [
      "upgrade", release, chartDir, "-n", namespace, "--set", `image=${NEVER_READY}`, "--wait", "--timeout", "20s",
    ]);
    await expect(failed).rejects.toThrow(/context deadline exceeded|timed out|timeout/i);
    const stuck = await clientsFor(target.kubeconfig).apps.readNamespacedDeployment({ name: release, namespace });
    expect(stuck.spec?.template.spec?.containers[0]?.image).toBe(NEVER_READY);
    expect(stuck.status?.updatedReplicas ?? 0).toBeGreaterThan(0);
    expect(stuck.status?.readyReplicas).toBe(1); // the old Pod still serves

    await helm(binary(), target.kubeconfig, ["rollback", release, "1", "-n", namespace, "--wait", "--timeout", "90s"]);
    const restored = await availableDeployment(target.kubeconfig, release, namespace);
    expect(restored.spec?.template.spec?.containers[0]?.image).toBe(IMAGE);
    expect(await history(binary(), target.kubeconfig, release, namespace)).toEqual([
      { revision: 1, status: "superseded" },
      { revision: 2, status: "failed" },
      { revision: 3, status: "deployed" },
    ]);

    expect(await history(binary(), other.kubeconfig, release, namespace)).toEqual([
      { revision: 1, status: "deployed" },
    ]);
    const otherAfter = await availableDeployment(other.kubeconfig, release, namespace);
    expect(otherAfter.metadata?.generation).toBe(1);
    expect(otherAfter.metadata?.resourceVersion).toBe(otherBefore.metadata?.resourceVersion);
    expect(otherAfter.spec?.template.spec?.containers[0]?.image).toBe(IMAGE);
  });
});
