// How health of a release's main object is read: the rules per workload kind.
import type * as k8s from "@kubernetes/client-node";
import { httpStatus, sleep, type Call } from "./call.ts";

export type WorkloadKind = "Deployment" | "StatefulSet" | "Job" | "External";

export interface Health {
  healthy: boolean;
  message: string;
}

export interface HealthReader {
  /** Whether the main object of a release is healthy now. */
  healthy(kind: WorkloadKind, namespace: string, name: string): Promise<Health>;
  /** Waits until healthy or the timeout passes. */
  waitHealthy(kind: WorkloadKind, namespace: string, name: string, timeoutMs: number): Promise<Health>;
}

export function healthReader(apps: k8s.AppsV1Api, batch: k8s.BatchV1Api, call: Call): HealthReader {
  async function healthy(kind: WorkloadKind, namespace: string, name: string): Promise<Health> {
    try {
      switch (kind) {
        case "External":
          return { healthy: true, message: "external service" };
        case "Deployment": {
          const d = await call("read deployment", () => apps.readNamespacedDeployment({ name, namespace }));
          const want = d.spec?.replicas ?? 1;
          const ok = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (d.status?.updatedReplicas ?? 0) >= want && (d.status?.availableReplicas ?? 0) >= want;
          return { healthy: ok, message: `${d.status?.availableReplicas ?? 0}/${want} available` };
        }
        case "StatefulSet": {
          const s = await call("read statefulset", () => apps.readNamespacedStatefulSet({ name, namespace }));
          const want = s.spec?.replicas ?? 1;
          const ok = (s.status?.readyReplicas ?? 0) >= want && (s.status?.updatedReplicas ?? 0) >= want;
          return { healthy: ok, message: `${s.status?.readyReplicas ?? 0}/${want} ready` };
        }
        case "Job": {
          const j = await call("read job", () => batch.readNamespacedJob({ name, namespace }));
          const ok = (j.status?.succeeded ?? 0) > 0;
          return { healthy: ok, message: ok ? "complete" : (j.status?.failed ?? 0) > 0 ? "failed" : "running" };
        }
      }
    } catch (err) {
      if (httpStatus(err) === 404) return { healthy: false, message: `${kind} ${namespace}/${name} not found` };
      throw err;
    }
  }
  return {
    healthy,
    async waitHealthy(kind, namespace, name, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        const h = await healthy(kind, namespace, name);
        if (h.healthy || Date.now() > deadline) return h;
        await sleep(500);
      }
    },
  };
}
