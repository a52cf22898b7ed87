// `berth serve --leader-elect --shards K` replicas as child processes (so a
// test can kill -9 one), their Leases on a shared cluster, read over HTTP.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import { tempCacheDir } from "../reconcile/fixture.ts";
import { servingUrl } from "../support/serving.ts";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "berth.js");

export interface Replica {
  name: string;
  proc: ChildProcess;
  url: string;
  log: string;
}

export interface ShardsBody {
  identity: string;
  share: number;
  live: string[];
  acting: number[];
  holders: Array<{ shard: number; holder?: string }>;
  history: Array<{ shard: number; from: string; to?: string }>;
}

export interface ReplicaOptions {
  name: string;
  source: string;
  helm: string;
  shards: number;
  /** The cluster holding the Leases. */
  leaseCluster: ProvidedCluster;
  leaseNamespace: string;
  leaseSeconds: number;
  intervalSeconds?: number;
  helmTimeoutSeconds?: number;
}

export async function startReplica(o: ReplicaOptions): Promise<Replica> {
  const cache = await tempCacheDir();
  const args = [
    BIN, "serve", "--source", o.source, "--helm", o.helm, "--cache-dir", cache, "--helm-timeout", String(o.helmTimeoutSeconds ?? 60),
    "--port", "0", "--host", "127.0.0.1", "--interval", String(o.intervalSeconds ?? 2), "--drift-interval", "0",
    "--leader-elect", "--shards", String(o.shards), "--lease-identity", o.name,
    "--lease-kubeconfig", o.leaseCluster.kubeconfig, "--lease-namespace", o.leaseNamespace, "--lease-duration", String(o.leaseSeconds),
  ];
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BERTH_LOG_LEVEL: "info" } });
  const r: Replica = { name: o.name, proc, url: "", log: "" };
  proc.stderr!.on("data", (d: Buffer) => (r.log += d.toString()));
  r.url = await servingUrl(proc, o.name, () => r.log);
  return r;
}

export const isAlive = (r: Replica) => r.proc.exitCode === null && r.proc.signalCode === null;
