// Two `berth serve` processes with --leader-elect against a real git remote
// and a local cluster: only the leader acts; kill -9 the leader, and the
// other takes over within the lease duration and applies the next commit.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import * as k8s from "@kubernetes/client-node";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";
import { servingUrl } from "../support/serving.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "berth.js");
const NS = "lf-shop";
const LEASE = `berth-failover-${Date.now()}`;
const LEASE_S = 6;
const IMAGE = "registry.example.com/test/web";

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: shop }
spec:
  namespace: ${NS}
  components:
    - { name: web, component: web, version: "^1.0.0" }
`;

interface Replica {
  name: string;
  proc: ChildProcess;
  url: string;
  log: string;
}

let repo: GitFixture;
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const cache = await tempCacheDir();
  const args = [
    BIN, "serve", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "60",
    "--port", "0", "--host", "127.0.0.1", "--interval", "1", "--drift-interval", "1",
    "--leader-elect", "--lease-kubeconfig", east!.kubeconfig, "--lease-namespace", "default", "--lease-name", LEASE, "--lease-duration", String(LEASE_S),
  ];
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BERTH_LOG_LEVEL: "info" } });
  const r: Replica = { name, proc, url: "", log: "" };
  proc.stderr!.on("data", (d: Buffer) => (r.log += d.toString()));
  r.url = await servingUrl(proc, name, () => r.log);
  replicas.push(r);
  return r;
}

async function leading(r: Replica): Promise<boolean | undefined> {
  try {
    const res = await fetch(`${r.url}/metrics`);
    const m = /^berth_leader (\d)/m.exec(await res.text());
    return m ? m[1] === "1" : undefined;
  } catch {
    return undefined; // killed
  }
}

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const helmRevisions = async () =>
  (await kubeFor(east!).core.listNamespacedSecret({ namespace: NS, labelSelector: "owner=helm,name=shop-web" })).items.length;

beforeAll(async () => {
  repo = await createBareRepo();
  await commitFiles(repo, { ...clusterFiles([east!]), "components/web-1.0.0.yaml": webComponent("web", "1.0.0", { image: IMAGE }), "apps/shop.yaml": app }, { message: "web 1.0.0" });
});

afterAll(async () => {
  for (const r of replicas) r.proc.kill("SIGKILL");
  await removeRepo(repo);
});

describe("two berth serve replicas with leader election", () => {
  it("only the leader acts; after kill -9 of the leader the other takes over within the lease duration and applies the next commit", async () => {
    const a = await startReplica("a");
    const b = await startReplica("b");
    await until("a leader", async () => (await leading(a)) || (await leading(b)), 30_000);
    await until("the first commit applied", async () => (await deploymentImage(east!, NS, "shop-web").catch(() => undefined)) === `${IMAGE}:1.0.0`, 120_000);
    const [leader, follower] = (await leading(a)) ? [a, b] : [b, a];
    expect(await leading(follower)).toBe(false);
    // a few passes of both: the follower never acts, so one install and no more helm revisions
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await helmRevisions()).toBe(1);
    expect(leader.log).toMatch(/"action":"install"/);
    expect(follower.log).not.toMatch(/"action":"(install|upgrade)"/);

    leader.proc.kill("SIGKILL");
    const killedAt = Date.now();
    await commitFiles(repo, { "components/web-1.1.0.yaml": webComponent("web", "1.1.0", { image: IMAGE }) }, { message: "web 1.1.0" });
    await until("the follower to lead", () => leading(follower), (LEASE_S + 5) * 1000);
    const tookOver = Date.now() - killedAt;
    await until("the next commit applied", async () => (await deploymentImage(east!, NS, "shop-web")) === `${IMAGE}:1.1.0`, 120_000);
    const applied = Date.now() - killedAt;
    process.stderr.write(`berth failover: took over ${tookOver} ms after kill -9 (lease ${LEASE_S} s); next commit applied after ${applied} ms\n`);
    expect(tookOver).toBeLessThanOrEqual(LEASE_S * 1000 + 600);
    expect(await helmRevisions()).toBe(2);
    await until("the upgrade's log line", async () => /"action":"upgrade"/.test(follower.log), 5_000);
  });

  it("the new leader checks drift after its passes: an edited image shows in /api/v1/drift and /metrics", async () => {
    const leader = replicas.find((r) => r.proc.exitCode === null && r.proc.signalCode === null)!;
    await kubeFor(east!).apps.patchNamespacedDeployment(
      { name: "shop-web", namespace: NS, body: { spec: { template: { spec: { containers: [{ name: "web", image: `${IMAGE}:edited` }] } } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
    );
    const drift = await until(
      "drift in the API",
      async () => {
        const body = (await (await fetch(`${leader.url}/api/v1/drift`)).json()) as { reports: Array<{ release: string; count: number; drifted: Array<{ fields: Array<{ path: string; live: unknown }> }> }> };
        const r = body.reports.find((x) => x.release === "shop-web");
        return r && r.count > 0 ? r : undefined;
      },
      15_000,
    );
    // who wrote it: client-node's patch, under the field manager the API server takes from its User-Agent
    const by = { manager: "node-fetch", operation: "Update", time: expect.any(String), exact: true };
    expect(drift.drifted[0]!.fields).toEqual([{ path: "spec.template.spec.containers[0].image", expected: `${IMAGE}:1.1.0`, live: `${IMAGE}:edited`, by }]);
    const metrics = await (await fetch(`${leader.url}/metrics`)).text();
    expect(metrics).toMatch(/^berth_drift_fields\{cluster="east",release="shop-web"\} 1$/m);
  });
});
