/**
 * Local Kubernetes clusters for berth's tests: etcd + kube-apiserver +
 * kube-controller-manager + kube-scheduler + kwok (fake nodes and Pod
 * lifecycles, see kwok-stages.yaml), built from source by build.sh.
 *
 * In integration tests (vitest project `integration`), use the clusters
 * global-setup.ts starts once per run:
 *
 *   import { inject } from "vitest";
 *   const clusters = inject("clusters");   // [{ name: "east" | "west", kubeconfig, server }]
 *   const binaries = inject("binaries");   // { helm, helm3, kubectl, ... } absolute paths
 *   await execa(binaries.helm, ["list", "-A", "--kubeconfig", clusters[0].kubeconfig]);
 *
 * To start more (or disposable) clusters in a test, e.g. to stop an API server
 * (outside vitest, get the binaries from `await ensureBinaries()`):
 *
 *   const cluster = await startCluster({ name: "solo", binaries: inject("binaries") });
 *   await cluster.stopApiServer(); ... await cluster.startApiServer(); ... await cluster.stop();
 *
 * What each cluster offers: one Ready node `kwok-node-0` (no taints);
 * StorageClass `standard` (default, Immediate) with 30 PersistentVolumes of
 * 10Gi, which return to the pool when their claim is deleted; Pods become
 * Running and Ready, Job Pods Succeeded; a Pod whose image (or label
 * `berth.dev/test-behaviour`) says `never-ready`, `crash` or `fail`
 * misbehaves accordingly (kwok-stages.yaml). Every container serves the
 * log lines of kwok-logs.ts (`kubectl logs`, with --tail, --previous and
 * --follow) from kwok's kubelet-like server on 127.0.0.1, the nodes'
 * InternalIP; its port is the nodes' kubeletEndpoint. The admin user is in
 * system:masters. Clusters of a test run live in ~/.cache/berth/runs/<pid>/
 * and are reaped by the next run if this one was killed.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rm, rmdir } from "node:fs/promises";
import { request } from "node:https";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Binaries } from "./binaries.ts";
import { bootstrapCluster, waitForWorkloadReady, waitUntil } from "./bootstrap.ts";
import { writeKubeconfig } from "./kubeconfig.ts";
import { writeKwokLogs } from "./kwok-logs.ts";
import { createPki, type Pki } from "./pki.ts";
import { freePorts } from "./ports.ts";
import { isAlive, spawnGroup, stopGroups } from "./processes.ts";
import { runsBaseDir, writeState, type ClusterState } from "./state.ts";

export { ensureBinaries, cacheDir, type Binaries } from "./binaries.ts";
export { KWOK_LOG_LINES, KWOK_PREVIOUS_LOG_LINES } from "./kwok-logs.ts";

export const KWOK_STAGES = join(dirname(fileURLToPath(import.meta.url)), "kwok-stages.yaml");
const SERVICE_CIDR = "10.96.0.0/16";
const SERVICE_IP = "10.96.0.1";

export interface StartClusterOptions {
  /** Names the kubeconfig context and the data dir (`<baseDir>/<name>`). */
  name: string;
  binaries: Binaries;
  /** Default: ~/.cache/berth/runs/<pid>, reaped once this process is gone. */
  baseDir?: string;
  /** Keep running after this process exits (for `npm run cluster -- up`). */
  detached?: boolean;
  /** kwok nodes, default 1. */
  nodes?: number;
  /** PersistentVolumes in the pool, default 30. */
  persistentVolumes?: number;
  /** Default 120 s. */
  timeoutMs?: number;
  /**
   * kube-controller-manager's client rate limit (--kube-api-qps; the burst is
   * twice it). Default: its own, 20 per second, which caps a cluster at a few
   * Deployment rollouts a second (the benchmarks lift it, bench/peer).
   */
  controllerManagerQps?: number;
  /** kube-apiserver serves /debug/pprof (bench/peer --apiserver-profile). Default off. */
  profiling?: boolean;
}

/**
 * The benchmarks' kube-controller-manager client rate limit: its own 20/s caps
 * a local cluster at about 4 Deployment rollouts a second, whoever deploys.
 */
export const BENCH_CONTROLLER_MANAGER_QPS = 200;

export interface LocalCluster {
  name: string;
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  dataDir: string;
  /** Stops every process and deletes the data dir. */
  stop(): Promise<void>;
  /** Stops only kube-apiserver: the cluster becomes unreachable. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port; resolves once /readyz is ok. */
  startApiServer(): Promise<void>;
}

function get(url: string, pki: Pki): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(pki.caCert),
        cert: readFileSync(pki.adminCert),
        key: readFileSync(pki.adminKey),
        timeout: 2_000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function logTail(path: string, lines = 15): string {
  try {
    const all = readFileSync(path, "utf8").trimEnd().split("\n");
    // a Go crash's cause is its first line, above a long stack
    const crash = all.find((l) => /^(fatal error|panic): /.test(l));
    const tail = all.slice(-lines);
    return [...(crash && !tail.includes(crash) ? [crash, "..."] : []), ...tail].join("\n") || "(empty)";
  } catch {
    return "(no log)";
  }
}

/**
 * Failures of a start worth another try: a port found free was taken by
 * another process before etcd or the API server bound it (other test runs
 * start clusters too), or kwok v0.8.0 crashed on its own start-up race (its
 * stages build their CEL environments from one map in parallel workers:
 * "fatal error: concurrent map iteration and map write"), or the etcd port
 * answered for another cluster's etcd (ours lost the race for it and exited,
 * but the other one is healthy: an API server started on it would see that
 * cluster's objects).
 */
const ANOTHER_ETCD = "answered for another etcd";
const RETRY_START = ["address already in use", "fatal error: concurrent map", ANOTHER_ETCD];

async function getOk(url: string, pki: Pki): Promise<true | undefined> {
  return (await get(url, pki)) === 200 ? true : undefined;
}

async function httpOk(url: string): Promise<true | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok ? true : undefined;
}

/** A one-member etcd named `member`, serving clients on `client` and its peer on `peer`. */
export function etcdArgs(member: string, dataDir: string, client: number, peer: number): string[] {
  return [
    `--name=${member}`, `--data-dir=${dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=${member}=http://127.0.0.1:${peer}`,
    // test data: durability is not worth the fsync latency
    "--unsafe-no-fsync", "--log-level=warn",
  ];
}

export async function etcdHealthy(url: string): Promise<true | undefined> {
  const res = await fetch(url);
  const body = (await res.json()) as { health?: string };
  return body.health === "true" ? true : undefined;
}

/** Throws unless the etcd at `clientUrl` is the one member named `member`. */
export async function expectOwnEtcd(clientUrl: string, member: string): Promise<void> {
  const res = await fetch(`${clientUrl}/v3/cluster/member/list`, { method: "POST", body: "{}" });
  const body = (await res.json()) as { members?: { name?: string }[] };
  const names = (body.members ?? []).map((m) => m.name);
  if (names.length !== 1 || names[0] !== member) {
    throw new Error(`${clientUrl} ${ANOTHER_ETCD} (members ${JSON.stringify(names)}, expected [${JSON.stringify(member)}])`);
  }
}

/** Starts one cluster and resolves once it can run workloads. */
export async function startCluster(options: StartClusterOptions): Promise<LocalCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !RETRY_START.some((m) => error.message.includes(m))) throw error;
    }
  }
}

async function startOnce(options: StartClusterOptions): Promise<LocalCluster> {
  const { name, binaries } = options;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const nodes = options.nodes ?? 1;
  const dataDir = join(options.baseDir ?? join(runsBaseDir(), String(process.pid)), name);
  await rm(dataDir, { recursive: true, force: true });
  const logs = join(dataDir, "logs");
  await mkdir(logs, { recursive: true });

  const [etcdClient, etcdPeer, apiPort, kubeletPort] = (await freePorts(4)) as [number, number, number, number];
  const server = `https://127.0.0.1:${apiPort}`;
  // Unique, so the etcd that answers on etcdClient can be told to be ours.
  const etcdMember = `${name}-${randomBytes(4).toString("hex")}`;
  const [pki, kwokLogsConfig] = await Promise.all([
    createPki(join(dataDir, "pki"), SERVICE_IP),
    writeKwokLogs(join(dataDir, "container-logs")),
  ]);
  const kubeconfigPath = join(dataDir, "kubeconfig");
  await writeKubeconfig(kubeconfigPath, {
    name, server, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey,
  });

  const pids: Record<string, number> = {};
  const state: ClusterState = {
    name, dataDir, kubeconfigPath, server,
    owner: options.detached ? null : process.pid,
    startedAt: new Date().toISOString(),
    pids,
  };
  const run = async (component: string, command: string, args: string[]): Promise<void> => {
    pids[component] = spawnGroup({
      command, args, logFile: join(logs, `${component}.log`), keepAfterExit: options.detached,
    });
    // Recorded at once, so an interrupted start can still be cleaned up.
    await writeState(state);
  };
  const expectRunning = (component: string): void => {
    const pid = pids[component];
    if (pid === undefined || !isAlive(pid)) {
      // the data dir (and the log) is deleted on failure: keep the log's end in the error
      throw new Error(`${component} of cluster ${name} exited; the end of its log:\n${logTail(join(logs, `${component}.log`))}`);
    }
  };
  const waitFor = async <T>(what: string, component: string, check: () => Promise<T | undefined>) =>
    waitUntil(what, check, timeoutMs, 200, () => expectRunning(component));

  const apiServerArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${apiPort}`,
    `--cert-dir=${join(dataDir, "apiserver")}`,
    `--tls-cert-file=${pki.servingCert}`, `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    "--authorization-mode=RBAC", "--allow-privileged=true",
    // kwok's nodes: InternalIP 127.0.0.1 and kwok's port (there is no DNS for
    // their Hostname). Without --kubelet-certificate-authority the API server
    // does not verify the "kubelet's" certificate (kwok's own, self-signed).
    "--kubelet-preferred-address-types=InternalIP",
    "--enable-priority-and-fairness=false", `--profiling=${options.profiling === true}`,
  ];
  const startApiServer = async (): Promise<void> => {
    await run("kube-apiserver", binaries.kubeApiserver, apiServerArgs);
    await waitFor("kube-apiserver /readyz", "kube-apiserver", () => getOk(`${server}/readyz`, pki));
  };

  const stop = async (): Promise<void> => {
    await stopGroups(Object.values(pids), 2_000);
    await rm(dataDir, { recursive: true, force: true });
    if (options.baseDir === undefined) await rmdir(dirname(dataDir)).catch(() => undefined);
  };

  try {
    await run("etcd", binaries.etcd, etcdArgs(etcdMember, join(dataDir, "etcd"), etcdClient, etcdPeer));
    await waitFor("etcd health", "etcd", () => etcdHealthy(`http://127.0.0.1:${etcdClient}/health`));
    await expectOwnEtcd(`http://127.0.0.1:${etcdClient}`, etcdMember);
    await startApiServer();
    await run("kube-controller-manager", binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfigPath}`, "--secure-port=0", "--leader-elect=false",
      `--service-account-private-key-file=${pki.serviceAccountKey}`, `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`, `--cluster-signing-key-file=${pki.caKey}`,
      "--use-service-account-credentials=false", `--cluster-name=${name}`,
      ...(options.controllerManagerQps === undefined ? [] : [
        `--kube-api-qps=${options.controllerManagerQps}`, `--kube-api-burst=${2 * options.controllerManagerQps}`,
      ]),
    ]);
    await run("kube-scheduler", binaries.kubeScheduler, [
      `--kubeconfig=${kubeconfigPath}`, "--secure-port=0", "--leader-elect=false",
    ]);
    await run("kwok", binaries.kwok, [
      `--kubeconfig=${kubeconfigPath}`, `--config=${KWOK_STAGES}`, `--config=${kwokLogsConfig}`,
      "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--cidr=10.244.0.0/16",
      // the kubelet-like server (HTTPS and HTTP on one port) every node points at
      "--node-ip=127.0.0.1", `--node-port=${kubeletPort}`, `--server-address=127.0.0.1:${kubeletPort}`,
    ]);
    await Promise.all([
      bootstrapCluster({ kubeconfigPath, nodes, persistentVolumes: options.persistentVolumes ?? 30 }),
      // kwok exits when its port was taken meanwhile (then startCluster tries again)
      waitFor("kwok's server /healthz", "kwok", () => httpOk(`http://127.0.0.1:${kubeletPort}/healthz`)),
    ]);
    await waitForWorkloadReady(kubeconfigPath, nodes, timeoutMs, () => {
      for (const component of Object.keys(pids)) expectRunning(component);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    name, kubeconfigPath, server, dataDir, stop, startApiServer,
    stopApiServer: async () => {
      const pid = pids["kube-apiserver"];
      if (pid !== undefined) await stopGroups([pid]);
    },
  };
}
