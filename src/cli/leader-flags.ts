// Flags for leader election (`berth serve --leader-elect`) and the wiring from
// them to a running election. The Lease lives on the cluster berth runs in
// (in-cluster credentials) or on the one a kubeconfig names.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { loadKubeConfig } from "../adapters/kube.ts";
import { UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { defaultIdentity, startLeaderElection, type LeaderElection } from "../reconcile/leader.ts";
import { createLeaseNamespace } from "../adapters/lease.ts";
import { startShards, type ShardManager } from "../reconcile/shards.ts";
import { positiveInt } from "./reconciler-flags.ts";

export interface LeaderFlags {
  leaderElect?: boolean;
  leaseNamespace?: string;
  leaseName?: string;
  leaseKubeconfig?: string;
  leaseContext?: string;
  leaseDuration?: string;
  shards?: string;
  leaseIdentity?: string;
  /** From the source flags: the same exec rule as every Cluster's kubeconfig. */
  insecureKubeconfigExec?: boolean;
}

export function addLeaderFlags(cmd: Command): Command {
  return cmd
    .option("--leader-elect", "run several replicas: only the holder of a Lease reconciles, the others serve reads")
    .option("--lease-namespace <NS>", "namespace of the Lease (default: the pod's own namespace in a cluster, else default)")
    .option("--lease-name <NAME>", "name of the Lease", "berth")
    .option("--lease-kubeconfig <PATH>", "kubeconfig of the cluster holding the Lease (default: in-cluster, else the usual kubeconfig)")
    .option("--lease-context <CONTEXT>", "context in --lease-kubeconfig")
    .option("--lease-duration <SECONDS>", "how long a silent leader keeps the Lease before another replica takes over", "15")
    .option("--shards <K>", "with --leader-elect: split the clusters into K shards (a hash of the name, or spec.shard), one Lease each (berth-shard-<i>); every replica holds a fair share and acts only for its shards' clusters")
    .option("--lease-identity <NAME>", "this replica's name in the Leases (default: $POD_NAME, else host-pid-random)");
}

const SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

function podNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Starts an election when --leader-elect is set (without --shards); undefined means this replica always acts. */
export function leaderFromFlags(f: LeaderFlags, log: Logger, env: NodeJS.ProcessEnv = process.env): LeaderElection | undefined {
  if (!f.leaderElect || f.shards !== undefined) return undefined;
  const l = leaseFlags(f, env);
  return startLeaderElection({
    kubeConfig: l.kubeConfig,
    cluster: l.cluster,
    namespace: l.namespace,
    name: f.leaseName ?? "berth",
    ...(f.leaseIdentity ? { identity: f.leaseIdentity } : {}),
    ...l.timing,
    log,
  });
}

/** With --shards K (and --leader-elect): starts this replica's shard manager; undefined without --shards. */
export function shardsFromFlags(f: LeaderFlags, log: Logger, env: NodeJS.ProcessEnv = process.env): ShardManager | undefined {
  if (f.shards === undefined) return undefined;
  const shards = positiveInt("--shards", f.shards, 1);
  if (!f.leaderElect) throw new UsageError(`--shards ${shards} needs --leader-elect: each shard is a Lease the replicas elect a holder for`);
  const l = leaseFlags(f, env);
  return startShards({
    leases: createLeaseNamespace({ kubeConfig: l.kubeConfig, cluster: l.cluster, namespace: l.namespace, requestTimeoutMs: Math.max(1_000, Math.min(5_000, l.timing.renewDeadlineMs - l.timing.renewMs)) }),
    shards,
    identity: f.leaseIdentity ?? (env.POD_NAME || defaultIdentity()),
    ...l.timing,
    log: log.child({ component: "shards" }),
  });
}

function leaseFlags(f: LeaderFlags, env: NodeJS.ProcessEnv) {
  const durationS = positiveInt("--lease-duration", f.leaseDuration, 15);
  if (durationS < 3) throw new UsageError(`--lease-duration must be at least 3 seconds (renewals happen every second), got ${durationS}`);
  const inCluster = !f.leaseKubeconfig && Boolean(env.KUBERNETES_SERVICE_HOST);
  // The operator's own flag (the shell has expanded it); only `~/` is left for berth.
  const path = f.leaseKubeconfig?.startsWith("~/") ? homedir() + f.leaseKubeconfig.slice(1) : f.leaseKubeconfig;
  let kubeConfig;
  try {
    kubeConfig = loadKubeConfig({
      cluster: "lease",
      ...(path ? { kubeconfigPath: path } : {}),
      ...(f.leaseContext ? { context: f.leaseContext } : {}),
      ...(inCluster ? { inCluster: true } : {}),
      allowExec: f.insecureKubeconfigExec === true,
    });
  } catch (err) {
    const what = path ? `--lease-kubeconfig ${path}` : inCluster ? "in-cluster credentials" : "the default kubeconfig";
    throw new UsageError(`${what}${f.leaseContext ? ` (--lease-context ${f.leaseContext})` : ""}: ${(err as Error).message}`);
  }
  const durationMs = durationS * 1000;
  return {
    kubeConfig,
    cluster: f.leaseContext ?? kubeConfig.getCurrentContext() ?? "lease",
    namespace: f.leaseNamespace ?? (inCluster ? podNamespace() : undefined) ?? "default",
    timing: {
      leaseDurationMs: durationMs,
      renewDeadlineMs: Math.floor((durationMs * 2) / 3),
      renewMs: Math.min(2_000, Math.floor(durationMs / 5)),
      retryMs: Math.min(2_000, Math.floor(durationMs / 5)),
    },
  };
}
