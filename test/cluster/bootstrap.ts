import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig, StorageV1Api, type V1Node } from "@kubernetes/client-node";

/** Annotation kwok's --manage-nodes-with-annotation-selector looks for. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
export const STORAGE_CLASS = "standard";

export interface BootstrapOptions {
  kubeconfigPath: string;
  nodes: number;
  persistentVolumes: number;
}

function clients(kubeconfigPath: string): { core: CoreV1Api; storage: StorageV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return { core: kc.makeApiClient(CoreV1Api), storage: kc.makeApiClient(StorageV1Api) };
}

/** Polls `check` until it returns a value other than undefined, or throws on timeout. */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
  /** Throws to give up at once (e.g. the process being waited for died). */
  giveUp: () => void = () => undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    giveUp();
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      // client-node errors carry the whole response; its first lines say enough
      const reason = lastError instanceof Error ? `: ${lastError.message.split("\n").slice(0, 3).join(" ")}` : "";
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${reason}`);
    }
    await sleep(intervalMs);
  }
}

function kwokNode(name: string): V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        type: "kwok",
      },
    },
  };
}

/**
 * Creates the kwok nodes, the default StorageClass and a pool of hostPath
 * PersistentVolumes (10Gi each, Retain) that kube-controller-manager's PV
 * controller binds claims to.
 */
export async function bootstrapCluster(options: BootstrapOptions): Promise<void> {
  const { core, storage } = clients(options.kubeconfigPath);
  const nodes = Array.from({ length: options.nodes }, (_, i) => `kwok-node-${i}`);
  await Promise.all(nodes.map((name) => core.createNode({ body: kwokNode(name) })));
  await storage.createStorageClass({
    body: {
      metadata: {
        name: STORAGE_CLASS,
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "Immediate",
      reclaimPolicy: "Retain",
    },
  });
  const volumes = Array.from({ length: options.persistentVolumes }, (_, i) => `pv-${String(i).padStart(3, "0")}`);
  await Promise.all(
    volumes.map((name) =>
      core.createPersistentVolume({
        body: {
          metadata: { name, labels: { "berth.dev/test-pool": "true" } },
          spec: {
            capacity: { storage: "10Gi" },
            accessModes: ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"],
            persistentVolumeReclaimPolicy: "Retain",
            storageClassName: STORAGE_CLASS,
            hostPath: { path: `/tmp/berth-pv/${name}` },
          },
        },
      }),
    ),
  );
}

/** Waits until the default ServiceAccount exists and every kwok node is Ready. */
export async function waitForWorkloadReady(
  kubeconfigPath: string,
  nodes: number,
  timeoutMs: number,
  giveUp: () => void = () => undefined,
): Promise<void> {
  const { core } = clients(kubeconfigPath);
  await waitUntil(
    "the default ServiceAccount",
    async () => core.readNamespacedServiceAccount({ name: "default", namespace: "default" }),
    timeoutMs,
    200,
    giveUp,
  );
  await waitUntil(
    `${nodes} Ready kwok node(s)`,
    async () => {
      const list = await core.listNode();
      // Ready, and no longer tainted not-ready by the node lifecycle controller
      const ready = list.items.filter(
        (node) =>
          node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") &&
          !node.spec?.taints?.some((t) => t.key.startsWith("node.kubernetes.io/")),
      );
      return ready.length >= nodes ? true : undefined;
    },
    timeoutMs,
    200,
    giveUp,
  );
}
