// What each kind of API request a Helm release makes costs the cluster: K
// requests of one kind, C at a time over kept-alive connections, on an idle
// fresh local cluster; the CPU of the cluster's processes (kube-apiserver,
// etcd, and the controllers that react) divided by K. The kinds are those of
// bench:peer --requests for berth's upgrade that the floor (a server-side
// apply and a wait) does not make.
// Run: node --import tsx bench/peer/request-cost.ts [--requests 400] [--concurrency 4]
import { parseArgs } from "node:util";
import https from "node:https";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { BENCH_CONTROLLER_MANAGER_QPS, ensureBinaries, startCluster } from "../../test/cluster/harness.ts";
import { readState } from "../../test/cluster/state.ts";
import { usageEach } from "./proc.ts";

const { values: flags } = parseArgs({ options: { requests: { type: "string", default: "400" }, concurrency: { type: "string", default: "4" } } });
const K = Number(flags.requests);
const C = Number(flags.concurrency);
const NS = "cost";

const binaries = await ensureBinaries();
const base = await mkdtemp(join(tmpdir(), "berth-request-cost-"));
const cluster = await startCluster({ name: "cost", binaries, baseDir: base, persistentVolumes: 0, controllerManagerQps: BENCH_CONTROLLER_MANAGER_QPS });
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const agent = new https.Agent({ keepAlive: true, maxSockets: C, ca: tls.ca, cert: tls.cert, key: tls.key });
  const server = new URL(cluster.server);
  type Req = { method: string; path: string; body?: unknown; type?: string; accept?: string; until?: (chunk: string) => boolean };
  const send = (r: Req) =>
    new Promise<string>((resolve, reject) => {
      const body = r.body === undefined ? undefined : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
      const req = https.request(
        {
          agent, host: server.hostname, port: server.port, method: r.method, path: r.path,
          headers: { accept: r.accept ?? "application/json", ...(body === undefined ? {} : { "content-type": r.type ?? "application/json", "content-length": Buffer.byteLength(body) }) },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => {
            text += c;
            // a watch: stop once it has said what is wanted
            if (r.until?.(text)) {
              req.destroy();
              resolve(text);
            }
          });
          res.on("end", () => ((res.statusCode ?? 500) < 300 ? resolve(text) : reject(new Error(`${r.method} ${r.path}: ${res.statusCode} ${text.slice(0, 300)}`))));
        },
      );
      req.on("error", (e) => (r.until ? resolve("") : reject(e)));
      req.end(body);
    });

  // a release's storage: Secrets of ~15 KB (its gzip does not compress again), two for the release asked about, eight others
  const payload = () => randomBytes(11_000).toString("base64");
  const secret = (name: string, release: string, version: number) => ({
    apiVersion: "v1", kind: "Secret", type: "helm.sh/release.v1",
    metadata: { name, namespace: NS, labels: { name: release, owner: "helm", status: "deployed", version: String(version) } },
    data: { release: Buffer.from(payload()).toString("base64") },
  });
  await send({ method: "POST", path: "/api/v1/namespaces", body: { metadata: { name: NS } } });
  for (let r = 0; r < 5; r++) for (let v = 1; v <= 2; v++) await send({ method: "POST", path: `/api/v1/namespaces/${NS}/secrets`, body: secret(`sh.helm.release.v1.r${r}.v${v}`, `r${r}`, v) });
  const deployment = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "app", namespace: NS },
    spec: { replicas: 1, selector: { matchLabels: { app: "app" } }, template: { metadata: { labels: { app: "app" } }, spec: { containers: [{ name: "main", image: "registry.example.com/app:1" }] } } },
  };
  await send({ method: "PATCH", path: `/apis/apps/v1/namespaces/${NS}/deployments/app?fieldManager=helm&force=true`, body: JSON.stringify(deployment), type: "application/apply-patch+yaml" });
  await send({ method: "POST", path: `/api/v1/namespaces/${NS}/configmaps`, body: { metadata: { name: "memo", namespace: NS }, data: { v: "0" } } });
  await new Promise((r) => setTimeout(r, 3_000)); // the rollout settles

  const state = (await readState(cluster.dataDir))!;
  const components = Object.entries(state.pids);
  const cpu = () => {
    const u = usageEach(components.map(([, pid]) => ({ root: pid, keep: () => true })));
    return Object.fromEntries(components.map(([c], i) => [c, u[i]!.cpu]));
  };
  let n = 0;
  const kinds: Array<[string, (i: number) => Req]> = [
    ["GET /version", () => ({ method: "GET", path: "/version" })],
    ["GET /api", () => ({ method: "GET", path: "/api", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" })],
    ["GET /apis (aggregated discovery)", () => ({ method: "GET", path: "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json" })],
    ["GET a Deployment", () => ({ method: "GET", path: `/apis/apps/v1/namespaces/${NS}/deployments/app` })],
    ["server-side apply of an unchanged Deployment", () => ({ method: "PATCH", path: `/apis/apps/v1/namespaces/${NS}/deployments/app?fieldManager=helm&force=true`, body: JSON.stringify(deployment), type: "application/apply-patch+yaml" })],
    ["LIST a release's storage (name=,owner=helm: 2 of 10 Secrets)", () => ({ method: "GET", path: `/api/v1/namespaces/${NS}/secrets?labelSelector=${encodeURIComponent("name=r0,owner=helm")}` })],
    ["LIST it, metadata only", () => ({ method: "GET", path: `/api/v1/namespaces/${NS}/secrets?labelSelector=${encodeURIComponent("name=r0,owner=helm")}`, accept: "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1" })],
    ["POST a 15 KB storage Secret", (i) => ({ method: "POST", path: `/api/v1/namespaces/${NS}/secrets`, body: secret(`sh.helm.release.v1.x${n}-${i}.v1`, `x${n}-${i}`, 1) })],
    ["PUT a 15 KB storage Secret", () => ({ method: "PUT", path: `/api/v1/namespaces/${NS}/secrets/sh.helm.release.v1.r1.v2`, body: secret("sh.helm.release.v1.r1.v2", "r1", 2) })],
    ["PUT a memo ConfigMap", (i) => ({ method: "PUT", path: `/api/v1/namespaces/${NS}/configmaps/memo`, body: { metadata: { name: "memo", namespace: NS }, data: { v: String(i) } } })],
    ["WATCH Deployments in a namespace (initial events, then closed)", () => ({
      method: "GET",
      path: `/apis/apps/v1/namespaces/${NS}/deployments?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=30`,
      until: (t) => t.includes("k8s.io/initial-events-end"),
    })],
  ];
  const rows: string[] = [];
  for (const [what, make] of kinds) {
    n++;
    // PUTs of one object run one at a time (each must carry no resourceVersion conflict: none given, last write wins)
    const c = what.startsWith("PUT") ? 1 : C;
    const before = cpu();
    const t = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: c }, async () => {
      while (next < K) {
        const i = next++;
        await send(make(i));
      }
    }));
    const wall = performance.now() - t;
    const after = cpu();
    const delta = Object.fromEntries(components.map(([k]) => [k, after[k]! - before[k]!]));
    const total = Object.values(delta).reduce((a, b) => a + b, 0);
    const top = Object.entries(delta).sort((a, b) => b[1] - a[1]).filter(([, v]) => v > 0.005).map(([k, v]) => `${k} ${((v / K) * 1000).toFixed(2)}`).join(", ");
    rows.push(`| ${what} | ${((total / K) * 1000).toFixed(2)} ms | ${top} | ${(wall / K).toFixed(2)} ms |`);
    process.stderr.write(`${rows.at(-1)}\n`);
  }
  console.log(`${K} requests of each kind, ${C} at a time (PUTs of one object: 1), kept-alive connections, an idle fresh local cluster:`);
  console.log("| request | the cluster's CPU per request | by process (ms) | wall per request |");
  console.log("|---|---|---|---|");
  for (const r of rows) console.log(r);
  agent.destroy();
} finally {
  await cluster.stop();
  await rm(base, { recursive: true, force: true });
}
