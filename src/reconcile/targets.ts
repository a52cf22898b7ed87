// Cluster objects -> one kube client and one helm client per cluster, kept
// across loops while the cluster's access does not change. A Cluster comes
// from git; what it may point berth's credentials at is the operator's call.
import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { createHelm, type HelmClient } from "../adapters/helm.ts";
import { accessFailure, createKube, loadKubeConfig, unreachableKube, type Impersonation, type KubeClient, type KubeOptions } from "../adapters/kube.ts";
import { BerthError, KubeError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { where } from "../model/issue.ts";
import { KUBECONFIG_DIR_FLAG, kubeconfigPathProblem } from "../model/kubeconfig-path.ts";
import type { Cluster } from "../model/types.ts";
import { canonicalJson } from "../plan/digest.ts";
import type { ClusterTarget } from "./cluster.ts";
import { stoppableHelm } from "./stopping.ts";

/** What the operator lets a Cluster's spec.kubeconfig reach (flags, never git). */
export interface KubeconfigPolicy {
  /** --kubeconfig-dir: a kubeconfig path must resolve (symlinks followed) inside one of these. */
  dirs: string[];
  /** Never inside these, even when an allowed dir holds them: the definitions source and berth's --cache-dir. */
  deny: { dir: string; what: string }[];
  /** --insecure-kubeconfig-exec: exec and auth-provider credential plugins may run. */
  allowExec: boolean;
}

export const DIR_FLAG = KUBECONFIG_DIR_FLAG;

/** The operator's default: ~/.kube, or BERTH_KUBECONFIG_DIRS (colon-separated). */
export function defaultKubeconfigDirs(env: NodeJS.ProcessEnv = process.env, home = homedir()): string[] {
  const raw = env.BERTH_KUBECONFIG_DIRS;
  const dirs = raw ? raw.split(":").filter(Boolean) : ["~/.kube"];
  return dirs.map((d) => expandHome(d, home));
}

const expandHome = (p: string, home: string) => (p === "~" || p.startsWith("~/") ? home + p.slice(1) : p);

/** A path's real location; a missing path keeps its spelling (nothing can be inside it). */
function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

const inside = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r));
};

/**
 * The file a kubeconfig path really names, or a BerthError saying why berth
 * will not read it. Only `~/` is expanded (berth's own home); `$VAR` is not,
 * so no value from berth's environment reaches a path or an error about it.
 */
export function resolveKubeconfigPath(raw: string, policy: Pick<KubeconfigPolicy, "dirs" | "deny">, home = homedir()): string {
  const refuse = (m: string) => new BerthError("INVALID_INPUT", m);
  const spelling = kubeconfigPathProblem(raw, DIR_FLAG);
  if (spelling) throw refuse(spelling);
  const p = expandHome(raw, home);
  let file: string;
  try {
    file = realpathSync(p);
  } catch (err) {
    throw refuse(`cannot read kubeconfig ${raw}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; set spec.kubeconfig.path to a kubeconfig inside ${policy.dirs.join(", ") || "an allowed directory"}`);
  }
  const shown = file === p ? raw : `${raw} (which resolves to ${file})`;
  for (const d of policy.deny) {
    if (inside(real(d.dir), file)) {
      throw refuse(`kubeconfig ${shown} is inside ${d.what}, which git can write; berth reads kubeconfigs only from the operator's directories (${DIR_FLAG})`);
    }
  }
  if (!policy.dirs.some((d) => inside(real(d), file))) {
    throw refuse(
      `kubeconfig ${shown} is outside the directories the operator allows (${policy.dirs.join(", ") || "none"}); put it in one of them or start berth with ${DIR_FLAG}`,
    );
  }
  return file;
}

export interface TargetOptions {
  helmBinary: string;
  /** The Helm worker binary (`--helm-worker`); absent: $BERTH_HELM_WORKER, else a helm process per call. */
  helmWorker?: string;
  log: Logger;
  /** What spec.kubeconfig may reach; default: ~/.kube (or BERTH_KUBECONFIG_DIRS), no exec plugins. */
  kubeconfig?: KubeconfigPolicy;
  onHelmCall?: (cluster: string, verb: string, ms: number, ok: boolean) => void;
  requestTimeoutMs?: number;
  /** berth is stopping (SIGTERM): helm actions stop, none start (stopping.ts). */
  signal?: AbortSignal;
}

/** A helm client that refuses every call: the cluster's kubeconfig must not reach helm. */
function refusedHelm(cluster: string, message: string): HelmClient {
  const fail = async (): Promise<never> => {
    throw new KubeError(cluster, message);
  };
  return { calls: 0, upgradeInstall: fail, rollback: fail, uninstall: fail, template: fail };
}

let said = false;

/** The worker to use: the option, else $BERTH_HELM_WORKER; empty means none. */
export function helmWorkerOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const w = option ?? env.BERTH_HELM_WORKER;
  return w ? w : undefined;
}

export interface TargetCache {
  targets(clusters: Cluster[]): ClusterTarget[];
  /** Helm calls made through every cluster's client so far. */
  helmCalls(): number;
}

export function createTargetCache(o: TargetOptions): TargetCache {
  const policy = o.kubeconfig ?? { dirs: defaultKubeconfigDirs(), deny: [], allowExec: false };
  const worker = helmWorkerOf(o.helmWorker);
  if (!said) {
    said = true;
    if (worker) o.log.info({ worker, helm: o.helmBinary }, "helm: the Helm worker runs releases where --helm is Helm 4 (a Helm 3 binary keeps a helm process per call)");
    else o.log.info({ helm: o.helmBinary }, "helm: a helm process per call (no --helm-worker / BERTH_HELM_WORKER)");
  }
  type Clients = { kube: KubeClient; helm: HelmClient };
  // per cluster: berth's own clients, and those acting as each Project identity (by canonical JSON)
  const cache = new Map<string, { key: string; kube: KubeClient; helm: HelmClient; identities: Map<string, Clients> }>();

  /** The clients for one Cluster's access; both refuse when the access is not allowed. */
  function clients(c: Cluster, identity?: Impersonation): { kube: KubeClient; helm: HelmClient; refused?: true } {
    const name = c.metadata.name;
    const access = c.spec.kubeconfig ?? {};
    // inCluster wins over a path (loadKubeConfig reads only the ServiceAccount then).
    const byPath = Boolean(access.path) && !access.inCluster;
    const declared: KubeOptions = {
      cluster: name,
      ...(access.path ? { kubeconfigPath: access.path } : {}),
      ...(access.context ? { context: access.context } : {}),
      ...(access.inCluster ? { inCluster: true } : {}),
      ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
      declaredAt: byPath ? `${where(c.origin, ["spec", "kubeconfig", "path"])} spec.kubeconfig.path` : `${where(c.origin, ["spec", "kubeconfig"])} spec.kubeconfig`,
      allowExec: policy.allowExec,
      ...(identity ? { impersonate: identity } : {}),
    };
    let opts = declared;
    try {
      if (byPath) opts = { ...declared, kubeconfigPath: resolveKubeconfigPath(access.path!, policy) };
      // Before either client exists: client-node and helm would both run an exec plugin.
      loadKubeConfig(opts);
    } catch (err) {
      const message = accessFailure(declared, err);
      return { kube: unreachableKube(name, message), helm: refusedHelm(name, message), refused: true };
    }
    const kube = createKube(opts);
    const helm = createHelm({
      binary: o.helmBinary,
      ...(byPath ? { kubeconfig: opts.kubeconfigPath! } : {}),
      ...(access.context ? { context: access.context } : {}),
      log: o.log.child({ cluster: name }),
      ...(o.signal ? { signal: o.signal } : {}),
      onCall: (verb, ms, ok) => o.onHelmCall?.(name, verb, ms, ok),
      ...(identity ? { impersonate: identity } : {}),
      ...(worker ? { worker } : {}),
    });
    return { kube, helm: o.signal ? stoppableHelm(helm, kube, o.signal, o.log.child({ cluster: name })) : helm };
  }

  /** The clients of one identity on a cluster, made on first use and kept with the cluster's own. */
  const actingAs = (c: Cluster, identities: Map<string, Clients>) => (who: Impersonation): Clients => {
    const k = canonicalJson(who);
    let made = identities.get(k);
    if (!made) {
      const m = clients(c, who);
      made = { kube: m.kube, helm: m.helm };
      identities.set(k, made);
    }
    return made;
  };

  return {
    targets(clusters) {
      return clusters.map((c) => {
        const name = c.metadata.name;
        const access = c.spec.kubeconfig ?? {};
        const key = canonicalJson({ path: access.path, context: access.context, inCluster: access.inCluster });
        let entry = cache.get(name);
        if (!entry || entry.key !== key) {
          // the old access's Helm workers are closed (they finish what they run)
          if (entry) for (const h of [entry.helm, ...[...entry.identities.values()].map((i) => i.helm)]) h.close?.();
          const made = clients(c);
          entry = { key, kube: made.kube, helm: made.helm, identities: new Map() };
          // A refusal is looked at again next pass (the operator may have fixed the file).
          if (made.refused) cache.delete(name);
          else cache.set(name, entry);
        }
        return {
          name,
          paused: c.spec.paused === true,
          allowEmpty: c.spec.allowEmpty === true,
          ...(c.spec.helm?.maxHistory !== undefined ? { maxHistory: c.spec.helm.maxHistory } : {}),
          kube: entry.kube,
          helm: entry.helm,
          as: actingAs(c, entry.identities),
        };
      });
    },
    helmCalls: () => [...cache.values()].reduce((n, e) => n + e.helm.calls + [...e.identities.values()].reduce((m, i) => m + i.helm.calls, 0), 0),
  };
}
