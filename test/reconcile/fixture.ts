// A definitions repository for the reconciler's integration tests, built as a
// file tree so each test can push variations of it to a real git remote.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { runBerth } from "../support/cli.ts";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import type { FileTree } from "../support/git.ts";

export const probes = `
    health:
      liveness: { httpGet: { path: /livez, port: http } }
      readiness: { httpGet: { path: /readyz, port: http } }
      startup: { httpGet: { path: /startz, port: http } }`;

export function clusterFiles(clusters: ProvidedCluster[]): FileTree {
  const files: FileTree = {};
  for (const c of clusters) {
    files[`clusters/${c.name}.yaml`] = `apiVersion: berth.dev/v1alpha1
kind: Cluster
metadata: { name: ${c.name}, labels: { env: test } }
spec:
  kubeconfig: { path: ${c.kubeconfig}, context: ${c.name} }
`;
  }
  return files;
}

export function webComponent(name: string, version: string, opts: { image?: string; upgrades?: string; requires?: string } = {}): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: ${name} }
spec:
  version: ${version}
  workload: webservice
  container:
    image: ${opts.image ?? `registry.example.com/test/${name}`}
    ports: [{ name: http, port: 8080 }]${probes}
${opts.requires ? `  requires: ${opts.requires}\n` : ""}${opts.upgrades ?? ""}`;
}

/** A Component without health probes (worker, task); `extra` goes under `container`. */
function plainComponent(name: string, version: string, workload: "worker" | "task", extra = ""): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: ${name} }
spec:
  version: ${version}
  workload: ${workload}
  container:
    image: registry.example.com/test/${name}
${extra}`;
}

/** An Application `name` in namespace `ns` with one entry `api` running Component `<name>-api` ^1.0.0. */
export const singleApiApp = (name: string, ns: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  namespace: ${ns}
  components:
    - { name: api, component: ${name}-api, version: "^1.0.0" }
`;

export const workerComponent = (name: string, version: string) => plainComponent(name, version, "worker");
export const taskComponent = (name: string, version: string) => plainComponent(name, version, "task", '    args: ["seed"]\n');

export const berth = (args: string[]) => runBerth(args);

export async function tempCacheDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "berth-cache-"));
}

export function kubeFor(c: ProvidedCluster) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  return { core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api), policy: kc.makeApiClient(k8s.PolicyV1Api) };
}

/** Helm revisions of a release, from its storage secrets (no helm process). */
export async function revisions(c: ProvidedCluster, namespace: string, release: string): Promise<Array<{ revision: number; status: string }>> {
  const { core } = kubeFor(c);
  const list = await core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
  return list.items
    .map((s) => ({ revision: Number(s.metadata?.labels?.version), status: s.metadata?.labels?.status ?? "" }))
    .sort((a, b) => a.revision - b.revision);
}

export async function deploymentImage(c: ProvidedCluster, namespace: string, name: string): Promise<string | undefined> {
  const d = await kubeFor(c).apps.readNamespacedDeployment({ name, namespace });
  return d.spec?.template.spec?.containers[0]?.image;
}
