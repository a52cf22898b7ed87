// The Helm worker against the helm binary it stands in for, on a real cluster:
// what the worker does differently inside (server-side field validation known
// per kind for its life, Deployment status read from the object alone, hooks
// on Helm's own waiter) must not change what a release does.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createHelm, type HelmClient } from "../../src/adapters/helm.ts";
import { createKube } from "../../src/adapters/kube.ts";
import { createLogger } from "../../src/log.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const NS = "helm-worker-int";
// The Helm 4 binary the worker stands in for, also when the suite runs on Helm 3
// (BERTH_TEST_HELM=helm3 hands the tests helm3 as `helm`).
const helm4 = inject("helm4");
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

// The worker writes Helm's own release Secrets (at gzip's default level, not
// its best: helm-worker/storage.go), so the helm binary keeps working on them.
it("the helm binary lists, reads and rolls back what the worker stored, in Secrets labelled as its own", async () => {
  const helmCli = (...args: string[]) => execa(helm4, [...args, "--namespace", NS, "--kubeconfig", east!.kubeconfig]);
  const kubectl = (...args: string[]) => execa(binaries.kubectl, [...args, "--namespace", NS, "--kubeconfig", east!.kubeconfig]);
  const dir = await chart("stored", { "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: {{ .Release.Name }} }\ndata: { colour: {{ .Values.colour | quote }} }\n" });
  const put = (helm: HelmClient, release: string, colour: string) =>
    helm.upgradeInstall({ release, namespace: NS, chartDir: dir, values: { colour }, labels: { probe: "helm-worker" }, timeoutMs: 60_000 });
  await put(paths.worker, "stored-worker", "blue");
  await put(paths.worker, "stored-worker", "green");
  await put(paths.helm, "stored-helm", "blue");
  await put(paths.helm, "stored-helm", "green");

  const history = JSON.parse((await helmCli("history", "stored-worker", "--output", "json")).stdout) as Array<{ revision: number; status: string }>;
  expect(history.map((h) => [h.revision, h.status])).toEqual([[1, "superseded"], [2, "deployed"]]);
  expect(JSON.parse((await helmCli("get", "values", "stored-worker", "--output", "json")).stdout)).toEqual({ colour: "green" });
  expect((await helmCli("list", "--output", "json")).stdout).toContain('"name":"stored-worker"');

  // the same labels and type as the helm binary's own Secret for the same revision
  const secret = async (release: string) =>
    JSON.parse((await kubectl("get", "secret", `sh.helm.release.v1.${release}.v2`, "--output", "json")).stdout) as { type: string; metadata: { labels: Record<string, string> } };
  const [worker, helm] = [await secret("stored-worker"), await secret("stored-helm")];
  expect(worker.type).toBe(helm.type);
  expect(Object.keys(worker.metadata.labels).sort()).toEqual(Object.keys(helm.metadata.labels).sort());
  expect({ ...worker.metadata.labels, name: "", createdAt: "", modifiedAt: "" }).toEqual({ ...helm.metadata.labels, name: "", createdAt: "", modifiedAt: "" });

  await helmCli("rollback", "stored-worker", "1", "--wait");
  expect((await kubectl("get", "configmap", "stored-worker", "--output", "jsonpath={.data.colour}")).stdout).toBe("blue");
});
