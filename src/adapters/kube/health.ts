// How a release's health is read: the workload objects of its deployed
// manifest (read once per Helm revision, then cached), each fetched live with
// one GET, judged by plan/health-rules.ts.
import type * as k8s from "@kubernetes/client-node";
import pLimit from "p-limit";
import { releaseHealth, workloadRefs, type Health, type LiveWorkload, type WorkloadRef } from "../../plan/health-rules.ts";
import { httpStatus, sleep, type Call } from "./call.ts";
import type { HelmStorage } from "./helm-storage.ts";

export type { Health } from "../../plan/health-rules.ts";

export type WorkloadKind = "Deployment" | "StatefulSet" | "Job" | "External" | "Chart";

/** The release whose health is asked; `revision` (from an observation) lets a cached manifest serve. */
export interface HealthTarget {
  namespace: string;
  name: string;
  /** `External`: a service berth does not run, always healthy. */
  workloadKind: WorkloadKind;
  /** The deployed Helm revision (and berth's digest label on it), when the caller has observed it. */
  revision?: number;
  digest?: string;
}

export interface HealthReader {
  /** Whether every workload of the release's deployed manifest is healthy now. */
  healthy(release: HealthTarget): Promise<Health>;
  /** Waits until healthy or the timeout passes; the manifest is read once, the objects on every poll. */
  waitHealthy(release: HealthTarget, timeoutMs: number): Promise<Health>;
}

interface CachedRefs {
  revision: number;
  digest?: string;
  refs: WorkloadRef[];
}

export interface HealthReaderOptions {
  apps: k8s.AppsV1Api;
  batch: k8s.BatchV1Api;
  call: Call;
  storage: Pick<HelmStorage, "readManifest">;
  /** Between polls of waitHealthy; default 500 ms. */
  pollMs?: number;
}

export function healthReader(o: HealthReaderOptions): HealthReader {
  const { apps, batch, call, storage } = o;
  // One entry per release (its newest revision read), so the cache is as big as the cluster's releases.
  const cache = new Map<string, CachedRefs>();
  // Per release: a third-party chart may hold dozens of workloads; status already runs releases in parallel.
  const limit = pLimit(4);

  /** The release's workload objects; undefined when it has no deployed revision. */
  async function refsOf(t: HealthTarget): Promise<WorkloadRef[] | undefined> {
    const key = `${t.namespace}/${t.name}`;
    const hit = cache.get(key);
    if (hit && t.revision !== undefined && hit.revision === t.revision && hit.digest === t.digest) return hit.refs;
    const deployed = await storage.readManifest(t.namespace, t.name);
    if (!deployed) return undefined;
    const refs = workloadRefs(deployed.manifest, t.namespace);
    // The caller's digest belongs to the revision it named; a reinstall restarts at revision 1 with another digest.
    const digest = deployed.revision === t.revision ? t.digest : undefined;
    cache.set(key, { revision: deployed.revision, ...(digest ? { digest } : {}), refs });
    return refs;
  }

  async function read(ref: WorkloadRef): Promise<LiveWorkload | undefined> {
    const { name, namespace } = ref;
    try {
      return await readAs(ref.kind, name, namespace);
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }

  // The four kinds' specs share no field, so TypeScript will not call each a LiveWorkload: one cast, here.
  async function readAs(kind: WorkloadRef["kind"], name: string, namespace: string): Promise<LiveWorkload> {
    const obj: object = await (() => {
      switch (kind) {
        case "Deployment":
          return call(`read Deployment ${namespace}/${name}`, () => apps.readNamespacedDeployment({ name, namespace }));
        case "StatefulSet":
          return call(`read StatefulSet ${namespace}/${name}`, () => apps.readNamespacedStatefulSet({ name, namespace }));
        case "DaemonSet":
          return call(`read DaemonSet ${namespace}/${name}`, () => apps.readNamespacedDaemonSet({ name, namespace }));
        case "Job":
          return call(`read Job ${namespace}/${name}`, () => batch.readNamespacedJob({ name, namespace }));
      }
    })();
    return obj as LiveWorkload;
  }

  async function judge(refs: WorkloadRef[]): Promise<Health> {
    const live = await Promise.all(refs.map((ref) => limit(() => read(ref))));
    return releaseHealth(refs.map((ref, i) => ({ ref, live: live[i] })));
  }

  async function healthy(t: HealthTarget): Promise<Health> {
    if (t.workloadKind === "External") return { healthy: true, message: "external service" };
    const refs = await refsOf(t);
    if (!refs) return { healthy: false, message: `release ${t.namespace}/${t.name} has no deployed revision` };
    return judge(refs);
  }

  return {
    healthy,
    async waitHealthy(t, ms) {
      if (t.workloadKind === "External") return { healthy: true, message: "external service" };
      const deadline = Date.now() + ms;
      let refs: WorkloadRef[] | undefined;
      for (;;) {
        refs ??= await refsOf(t);
        const h = refs ? await judge(refs) : { healthy: false, message: `release ${t.namespace}/${t.name} has no deployed revision` };
        if (h.healthy || Date.now() > deadline) return h;
        await sleep(o.pollMs ?? 500);
      }
    },
  };
}
