// Cluster objects -> one kube client and one helm client per cluster, kept
// across loops while the cluster's access does not change.
import { homedir } from "node:os";
import { createHelm, type HelmClient } from "../adapters/helm.ts";
import { createKube, type KubeClient } from "../adapters/kube.ts";
import type { Logger } from "../log.ts";
import { where } from "../model/issue.ts";
import type { Cluster } from "../model/types.ts";
import { canonicalJson } from "../plan/digest.ts";
import type { ClusterTarget } from "./cluster.ts";

export interface TargetOptions {
  helmBinary: string;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  onHelmCall?: (cluster: string, verb: string, ms: number, ok: boolean) => void;
  requestTimeoutMs?: number;
}

/** `~` and `$VAR`/`${VAR}` in a kubeconfig path, so one repository serves several machines. */
export function expandPath(p: string, env: NodeJS.ProcessEnv = process.env): string {
  const withHome = p === "~" || p.startsWith("~/") ? homedir() + p.slice(1) : p;
  return withHome.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => env[(a ?? b)!] ?? "");
}

export interface TargetCache {
  targets(clusters: Cluster[]): ClusterTarget[];
  /** Helm calls made through every cluster's client so far. */
  helmCalls(): number;
}

export function createTargetCache(o: TargetOptions): TargetCache {
  const cache = new Map<string, { key: string; kube: KubeClient; helm: HelmClient }>();
  return {
    targets(clusters) {
      return clusters.map((c) => {
        const name = c.metadata.name;
        const access = c.spec.kubeconfig ?? {};
        const kubeconfigPath = access.path ? expandPath(access.path, o.env) : undefined;
        const key = canonicalJson({ kubeconfigPath, context: access.context, inCluster: access.inCluster });
        let entry = cache.get(name);
        if (!entry || entry.key !== key) {
          const kube = createKube({
            cluster: name,
            ...(kubeconfigPath ? { kubeconfigPath } : {}),
            ...(access.context ? { context: access.context } : {}),
            ...(access.inCluster ? { inCluster: true } : {}),
            ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
            declaredAt: `${where(c.origin, ["spec", "kubeconfig"])} spec.kubeconfig`,
          });
          const helm = createHelm({
            binary: o.helmBinary,
            ...(kubeconfigPath ? { kubeconfig: kubeconfigPath } : {}),
            ...(access.context ? { context: access.context } : {}),
            log: o.log.child({ cluster: name }),
            onCall: (verb, ms, ok) => o.onHelmCall?.(name, verb, ms, ok),
          });
          entry = { key, kube, helm };
          cache.set(name, entry);
        }
        return {
          name,
          paused: c.spec.paused === true,
          allowEmpty: c.spec.allowEmpty === true,
          ...(c.spec.helm?.maxHistory ? { maxHistory: c.spec.helm.maxHistory } : {}),
          kube: entry.kube,
          helm: entry.helm,
        };
      });
    },
    helmCalls: () => [...cache.values()].reduce((n, e) => n + e.helm.calls, 0),
  };
}
