// CustomResourceDefinitions as berth reads them for a chart's `crds/`: whether
// one exists (and its resourceVersion, to tell whether an apply changed it),
// and waiting until the API server serves its kinds. Writes go through
// applyObject, so they act as the release's identity when a Project impersonates.
import type * as k8s from "@kubernetes/client-node";
import { KubeError } from "../../errors.ts";
import { httpStatus, sleep, type Call } from "./call.ts";

export interface CrdState {
  resourceVersion: string;
  /** The Established condition is True: its kinds are served. */
  established: boolean;
}

export interface CrdReader {
  /** One CustomResourceDefinition; undefined when the cluster has none of that name. */
  readCrd(name: string): Promise<CrdState | undefined>;
  /** Waits until each CRD is Established, at most `timeoutMs` in all; throws naming those that are not. */
  waitCrdsEstablished(names: string[], timeoutMs: number): Promise<void>;
}

export function crdState(crd: k8s.V1CustomResourceDefinition): CrdState {
  const established = (crd.status?.conditions ?? []).some((c) => c.type === "Established" && c.status === "True");
  return { resourceVersion: crd.metadata?.resourceVersion ?? "", established };
}

export function crdReader(cluster: string, ext: k8s.ApiextensionsV1Api, call: Call, pollMs = 250): CrdReader {
  async function readCrd(name: string): Promise<CrdState | undefined> {
    try {
      return crdState(await call(`read CustomResourceDefinition ${name}`, () => ext.readCustomResourceDefinition({ name })));
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }
  return {
    readCrd,
    async waitCrdsEstablished(names, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let waiting = [...names];
      for (;;) {
        const states = await Promise.all(waiting.map(async (n) => [n, await readCrd(n)] as const));
        waiting = states.filter(([, s]) => !s?.established).map(([n]) => n);
        if (!waiting.length) return;
        if (Date.now() >= deadline) {
          throw new KubeError(cluster, `CustomResourceDefinition ${waiting.join(", ")} not Established within ${Math.ceil(timeoutMs / 1000)}s`);
        }
        await sleep(pollMs);
      }
    },
  };
}
