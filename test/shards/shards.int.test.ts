// Three `berth serve --shards 6 --leader-elect` processes over six real
// clusters (the shared east and west, and four started here), one cluster per
// shard (spec.shard): each replica holds two shards and acts only for their
// clusters; kill -9 one and the other two take its shards within the lease
// duration and apply the next commit everywhere; start it again and the
// shards rebalance to two each, no shard acted for by two replicas at once.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { createLeaseNamespace } from "../../src/adapters/lease.ts";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import { ensureBinaries, startCluster, type LocalCluster } from "../cluster/harness.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { until } from "../support/until.ts";
import { kubeFor, revisions, workerComponent } from "../reconcile/fixture.ts";
import { isAlive, startReplica, type Replica, type ShardsBody } from "./replicas.ts";

const shared = inject("clusters");
const binaries = inject("binaries");
const NS = "sh-shop";
const LEASE_NS = `berth-shards-${Date.now()}`;
const LEASE_S = 6;
const SHARDS = 6;
const EXTRA = ["north", "south", "up", "down"];

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: shard }
spec:
  namespace: ${NS}
  placement: { clusterSelector: { env: test } }
  components:
    - { name: worker, component: shard-worker, version: "^1.0.0" }
`;

interface StatusBody {
  lastAppliedRevision?: string;
  clusters: Array<{ name: string; shard?: number; lastAppliedRevision?: string; appliedBy?: string }>;
  shards?: ShardsBody;
}

let repo: GitFixture;
let first = "";
let started: LocalCluster[] = [];
let clusters: ProvidedCluster[] = [];
const replicas: Replica[] = [];
/** Every shard interval each replica reported, kept after the replica is gone. */
const seenHistory = new Map<string, ShardsBody["history"]>();
/** When a replica was killed: the latest it could have acted for what it still held. */
const killedAt = new Map<string, number>();

const clusterFile = (c: ProvidedCluster, shard: number) => `apiVersion: berth.dev/v1alpha1
kind: Cluster
metadata: { name: ${c.name}, labels: { env: test } }
spec:
  kubeconfig: { path: ${c.kubeconfig}, context: ${c.name} }
  shard: ${shard}
`;

async function start(name: string): Promise<Replica> {
  const r = await startReplica({ name, source: repo.url, helm: binaries.helm, shards: SHARDS, leaseCluster: shared[0]!, leaseNamespace: LEASE_NS, leaseSeconds: LEASE_S });
  replicas.push(r);
  return r;
}

const alive = () => replicas.filter(isAlive);

async function status(r: Replica): Promise<StatusBody | undefined> {
  const res = await fetch(`${r.url}/api/v1/status`);
  if (!res.ok) return undefined;
  const body = (await res.json()) as StatusBody;
  if (body.shards) seenHistory.set(r.name, body.shards.history);
  return body;
}

/** What each live replica acts for now, by replica name. */
async function acting(): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const r of alive()) out.set(r.name, (await status(r))?.shards?.acting ?? []);
  return out;
}

const twoEach = async () => {
  const a = await acting();
  const all = [...a.values()].flat().sort((x, y) => x - y);
  return [...a.values()].every((s) => s.length === 2) && all.join() === "0,1,2,3,4,5" ? a : undefined;
};

async function shardLeases() {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(shared[0]!.kubeconfig);
  const list = await createLeaseNamespace({ kubeConfig: kc, cluster: "east", namespace: LEASE_NS }).list("berth-shard-");
  return Array.from({ length: SHARDS }, (_, i) => list.find((l) => l.name === `berth-shard-${i}`)?.record);
}

const leaseHolders = async () => (await shardLeases()).map((l) => l?.holder || undefined);

/** Every cluster stores `sha` as applied (read through any replica's status). */
async function appliedEverywhere(sha: string): Promise<StatusBody | undefined> {
  const s = await status(alive()[0]!);
  return s && s.clusters.length === clusters.length && s.clusters.every((c) => c.lastAppliedRevision === sha) ? s : undefined;
}

/** No shard acted for by two replicas at once: the intervals each reported, per shard, never overlap. */
function overlaps(): string[] {
  const per = new Map<number, Array<{ who: string; from: number; to: number }>>();
  for (const [who, h] of seenHistory) {
    for (const x of h) per.set(x.shard, [...(per.get(x.shard) ?? []), { who, from: Date.parse(x.from), to: x.to ? Date.parse(x.to) : (killedAt.get(who) ?? Infinity) }]);
  }
  const out: string[] = [];
  for (const [shard, xs] of per) {
    xs.sort((a, b) => a.from - b.from);
    for (let i = 1; i < xs.length; i++) if (xs[i]!.from < xs[i - 1]!.to && xs[i]!.who !== xs[i - 1]!.who) out.push(`shard ${shard}: ${xs[i - 1]!.who} and ${xs[i]!.who}`);
  }
  return out;
}

const helmRevisions = async (c: ProvidedCluster) => (await revisions(c, NS, "shard-worker")).length;

beforeAll(async () => {
  const t0 = Date.now();
  const bin = await ensureBinaries();
  started = await Promise.all(EXTRA.map((name) => startCluster({ name, binaries: bin })));
  process.stderr.write(`berth shards: started ${EXTRA.length} more clusters in ${Date.now() - t0} ms (in parallel, 2 cores)\n`);
  clusters = [shared[0]!, shared[1]!, ...started.map((c) => ({ name: c.name, kubeconfig: c.kubeconfigPath, server: c.server }))];
  await kubeFor(shared[0]!).core.createNamespace({ body: { metadata: { name: LEASE_NS } } });
  repo = await createBareRepo();
  first = await commitFiles(
    repo,
    { ...Object.fromEntries(clusters.map((c, i) => [`clusters/${c.name}.yaml`, clusterFile(c, i)])), "components/worker-1.0.0.yaml": workerComponent("shard-worker", "1.0.0"), "apps/shard.yaml": app },
    { message: "worker 1.0.0" },
  );
}, 600_000);

afterAll(async () => {
  for (const r of replicas) r.proc.kill("SIGKILL");
  await Promise.all(started.map((c) => c.stop()));
  await kubeFor(shared[0]!).core.deleteNamespace({ name: LEASE_NS }).catch(() => undefined);
  for (const c of shared) await kubeFor(c).core.deleteNamespace({ name: NS }).catch(() => undefined);
  if (repo) await removeRepo(repo);
});

describe("berth serve --shards 6 with three replicas over six clusters", () => {
  it("two shards each; every cluster applied once, by the replica that holds its shard", async () => {
    const t0 = Date.now();
    for (const name of ["replica-a", "replica-b", "replica-c"]) await start(name);
    const split = await until("two shards each", twoEach, 60_000, 200);
    process.stderr.write(`berth shards: three replicas at two shards each ${Date.now() - t0} ms after the first started: ${JSON.stringify(Object.fromEntries(split))}\n`);
    await until("the first commit applied on all six clusters", () => appliedEverywhere(first), 180_000, 500);
    process.stderr.write(`berth shards: first commit applied on six clusters ${Date.now() - t0} ms after the first replica started\n`);
    // a replica that started first may have applied a cluster it handed over since: its holder's next pass names itself
    const { s, holders } = await until(
      "each cluster's record to name its shard's holder",
      async () => {
        const [s, holders] = [await appliedEverywhere(first), await leaseHolders()];
        return s && s.clusters.every((c) => c.appliedBy === holders[c.shard!]) ? { s, holders } : undefined;
      },
      30_000,
      500,
    );
    for (const c of s.clusters) {
      expect(c.shard).toBe(clusters.findIndex((x) => x.name === c.name));
      // the replica named in the cluster's record is the one whose Lease holds its shard
      expect(c.appliedBy).toBe(holders[c.shard!]);
      expect(split.get(c.appliedBy!)).toContain(c.shard);
    }
    // acted on once: one install per cluster, and no helm revision beyond it over a few more passes
    await new Promise((r) => setTimeout(r, 4_000));
    for (const c of clusters) expect(await helmRevisions(c)).toBe(1);
    const installs = replicas.flatMap((r) => [...r.log.matchAll(/"cluster":"([a-z]+)"[^\n]*"action":"install"|"action":"install"[^\n]*"cluster":"([a-z]+)"/g)].map((m) => m[1] ?? m[2]));
    expect(installs.sort()).toEqual(clusters.map((c) => c.name).sort());
    // every replica's status says the same holders, read from the Leases
    for (const r of alive()) expect((await status(r))!.shards!.holders.map((h) => h.holder)).toEqual(holders);
    expect(overlaps()).toEqual([]);
  });

  it("kill -9 of one replica: the other two take its shards within the lease duration and apply the next commit everywhere", async () => {
    const victim = replicas.find((r) => r.name === "replica-b")!;
    const its = (await status(victim))!.shards!.acting;
    expect(its).toHaveLength(2);
    victim.proc.kill("SIGKILL");
    const killed = Date.now();
    killedAt.set(victim.name, killed);
    // the victim's last renewals (its clock, taken before each write): nothing renews them any more
    const leases = await shardLeases();
    const lastRenew = Math.max(...its.map((s) => leases[s]?.renewTime ?? 0));
    expect(its.every((s) => leases[s]?.holder === victim.name)).toBe(true);
    const sha = await commitFiles(repo, { "components/worker-1.1.0.yaml": workerComponent("shard-worker", "1.1.0") }, { message: "worker 1.1.0" });
    const taken = await until(
      "the others to act for the dead replica's shards",
      async () => {
        const a = await acting();
        const all = [...a.values()].flat();
        return its.every((s) => all.includes(s)) ? a : undefined;
      },
      (LEASE_S + 10) * 1000,
      100,
    );
    const now = await until("the next commit applied on all six clusters", () => appliedEverywhere(sha), 180_000, 500);
    const applied = Date.now() - killed;
    // the revision every cluster stores, whichever replica applied it
    expect(now.lastAppliedRevision).toBe(sha);
    // when the others began acting for its shards, by their own records (same host clock as the kill)
    const took = [...seenHistory].flatMap(([who, h]) => (who === victim.name ? [] : h.filter((x) => its.includes(x.shard) && Date.parse(x.from) >= killed - 1_000)));
    expect(took.length).toBeGreaterThanOrEqual(its.length);
    const tookOver = Math.max(...its.map((s) => Math.min(...took.filter((x) => x.shard === s).map((x) => Date.parse(x.from))))) - killed;
    process.stderr.write(
      `berth shards: shards ${its.join(", ")} of a killed replica taken over ${tookOver} ms after the kill, ${tookOver + killed - lastRenew} ms after its last renewal (lease ${LEASE_S} s); next commit on six clusters ${applied} ms after the kill; now ${JSON.stringify(Object.fromEntries(taken))}\n`,
    );
    // within the lease duration of the kill (plus one Lease read and write)…
    expect(tookOver).toBeLessThanOrEqual(LEASE_S * 1000 + 300);
    // …and never before the victim, had it been alive but cut off, would have stopped at its renew deadline (2/3 of the duration)
    for (const x of took) expect(Date.parse(x.from) - lastRenew).toBeGreaterThan(LEASE_S * 1000 * (2 / 3));
    for (const n of taken.values()) expect(n).toHaveLength(3);
    for (const c of clusters) expect(await helmRevisions(c)).toBe(2);
  });

  it("the replica starts again: shards rebalance to two each, never acted for by two at once, and a commit after it is applied once everywhere", async () => {
    const t0 = Date.now();
    const before = await shardLeases();
    await start("replica-b2");
    await until("two shards each again", twoEach, 60_000, 100);
    process.stderr.write(`berth shards: rebalanced to two each ${Date.now() - t0} ms after the replica started again\n`);
    for (const r of alive()) await status(r);
    expect(overlaps()).toEqual([]);
    // the two shards the new replica holds were handed over (holder cleared, then taken), and no shard was taken from a
    // live holder by expiry: a Lease's transitions count only a take-over from a holder that did not clear it
    const after = await shardLeases();
    const moved = after.flatMap((l, s) => (l?.holder === "replica-b2" ? [s] : []));
    expect(moved).toHaveLength(2);
    expect(after.map((l) => l!.transitions)).toEqual(before.map((l) => l!.transitions));
    const sha = await commitFiles(repo, { "components/worker-1.2.0.yaml": workerComponent("shard-worker", "1.2.0") }, { message: "worker 1.2.0" });
    const s = await until("the commit after the rebalance applied on all six clusters", () => appliedEverywhere(sha), 180_000, 500);
    const holders = await leaseHolders();
    for (const c of s.clusters) expect(c.appliedBy).toBe(holders[c.shard!]);
    for (const c of clusters) expect(await helmRevisions(c)).toBe(3);
  });
});
