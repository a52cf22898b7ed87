// The Helm worker against the helm binary it stands in for, on a real cluster:
// what the worker does differently inside (server-side field validation known
// per kind for its life, Deployment status read from the object alone, hooks
// on Helm's own waiter) must not change what a release does.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createHelm, type HelmClient } from "../../src/adapters/helm.ts";
import { createKube } from "../../src/adapters/kube.ts";
import { createLogger } from "../../src/log.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const NS = "helm-worker-int";
// The Helm 4 binary the worker stands in for, also when the suite runs on Helm 3
// (BERTH_TEST_HELM=helm3 hands the tests helm3 as `helm`): the two sit side by side.
const helm4 = join(dirname(binaries.helm3), "helm");
const log = createLogger({ level: "silent" });

// Each path gets its own worker process, so the first request of the worker
// path finds nothing learnt yet.
const paths: Record<"worker" | "helm", HelmClient> = {
  worker: createHelm({ binary: helm4, worker: binaries.helmWorker, kubeconfig: east!.kubeconfig, log }),
  helm: createHelm({ binary: helm4, kubeconfig: east!.kubeconfig, log }),
};
let base: string;

const deployment = (name: string, image: string, extra = "", annotations = "") =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\n${annotations}spec:\n  replicas: 1\n${extra}  selector: { matchLabels: { app: ${name} } }\n` +
  `  template:\n    metadata: { labels: { app: ${name} } }\n    spec:\n      containers:\n        - { name: main, image: ${image} }\n`;

async function chart(name: string, templates: Record<string, string>): Promise<string> {
  const dir = join(base, name);
  await mkdir(join(dir, "templates"), { recursive: true });
  await writeFile(join(dir, "Chart.yaml"), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
  for (const [file, text] of Object.entries(templates)) await writeFile(join(dir, "templates", file), text);
  return dir;
}

const install = (helm: HelmClient, release: string, chartDir: string, timeoutMs = 60_000) =>
  helm.upgradeInstall({ release, namespace: NS, chartDir, values: {}, labels: { probe: "helm-worker" }, timeoutMs });

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "berth-helm-worker-"));
  await createKube({ cluster: east!.name, kubeconfigPath: east!.kubeconfig }).ensureNamespace(NS);
});

afterAll(async () => {
  for (const helm of Object.values(paths)) helm.close?.();
  await rm(base, { recursive: true, force: true });
});

describe.each(Object.keys(paths) as Array<keyof typeof paths>)("through %s", (path) => {
  const helm = () => paths[path];

  it("an unknown field fails the release with the API server's words, before and after a good release of the kind", async () => {
    const typo = await chart(`typo-${path}`, { "d.yaml": deployment(`typo-${path}`, "registry.example.com/app:1", "  replicass: 2\n") });
    const good = await chart(`good-${path}`, { "d.yaml": deployment(`good-${path}`, "registry.example.com/app:1") });
    await expect(install(helm(), `typo-${path}`, typo)).rejects.toThrow(/\.spec\.replicass: field not declared in schema/);
    await install(helm(), `good-${path}`, good);
    await expect(install(helm(), `typo2-${path}`, typo)).rejects.toThrow(/\.spec\.replicass: field not declared in schema/);
  });

  it("waits for a Deployment to be ready, and fails one that never is at the timeout", async () => {
    const slow = await chart(`never-${path}`, { "d.yaml": deployment(`never-${path}`, "registry.example.com/app-never-ready:1") });
    const started = Date.now();
    await expect(install(helm(), `never-${path}`, slow, 4_000)).rejects.toThrow(/context deadline exceeded|timed out|timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_000);
  });

  it("does not wait for a hook Deployment to be ready (Helm waits only for hook Jobs and Pods)", async () => {
    const hooked = await chart(`hook-${path}`, {
      "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: hook-${path} }\ndata: { a: b }\n`,
      "d.yaml": deployment(`hook-d-${path}`, "registry.example.com/app-never-ready:1", "", '  annotations: { "helm.sh/hook": post-install, "helm.sh/hook-delete-policy": before-hook-creation }\n'),
    });
    await install(helm(), `hook-${path}`, hooked, 20_000);
  });
});
