// A rollout that spans shards: two `berth serve --shards 2` processes, the
// canary east in shard 0 and west in shard 1 (spec.shard), so each cluster
// is acted for by a different replica. West's replica reads east's rollout
// record from east: it holds west while the canary is not healthy there, and
// lets it go once east's own replica has stored it done.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { until } from "../support/until.ts";
import { deploymentImage, kubeFor, webComponent } from "../reconcile/fixture.ts";
import { isAlive, startReplica, type Replica, type ShardsBody } from "./replicas.ts";

const [east, west] = inject("clusters") as [ProvidedCluster, ProvidedCluster];
const binaries = inject("binaries");
// a namespace of its own per run: a deleted one lingers while it terminates
const NS = `sw-canary-${Date.now().toString(36)}`;
const LEASE_NS = `berth-shard-waves-${Date.now()}`;
const IMAGE = "registry.example.com/test/swapi";
const BROKEN = "registry.example.com/test/swapi-never-ready";

const clusterFile = (c: ProvidedCluster, shard: number) => `apiVersion: berth.dev/v1alpha1
kind: Cluster
metadata: { name: ${c.name}, labels: { env: test } }
spec:
  kubeconfig: { path: ${c.kubeconfig}, context: ${c.name} }
  shard: ${shard}
`;
const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: sw }
spec:
  namespace: ${NS}
  components:
    - { name: api, component: swapi, version: "^1.0.0" }
  placement:
    clusterSelector: { env: test }
    rollout: { canary: [${east.name}] }
`;

interface Wave { index: number; clusters: string[]; state: string; waitingFor?: string; reason?: string }
interface StatusBody { shards?: ShardsBody; rollout?: Array<{ application: string; revision: string; waves: Wave[] }>; clusters: Array<{ name: string; shard?: number }> }

let repo: GitFixture;
const replicas: Replica[] = [];
const image = (c: ProvidedCluster) => deploymentImage(c, NS, "sw-api").catch(() => undefined);
const status = async (r: Replica) => (await (await fetch(`${r.url}/api/v1/status`)).json()) as StatusBody;
/** The replica acting for a shard now. */
const actorOf = async (shard: number) => {
  for (const r of replicas.filter(isAlive)) if ((await status(r)).shards?.acting.includes(shard)) return r;
  return undefined;
};

beforeAll(async () => {
  await kubeFor(east).core.createNamespace({ body: { metadata: { name: LEASE_NS } } });
  repo = await createBareRepo();
  await commitFiles(repo, { [`clusters/${east.name}.yaml`]: clusterFile(east, 0), [`clusters/${west.name}.yaml`]: clusterFile(west, 1) }, { message: "two clusters, nothing placed" });
});

afterAll(async () => {
  for (const r of replicas) r.proc.kill("SIGKILL");
  await kubeFor(east).core.deleteNamespace({ name: LEASE_NS }).catch(() => undefined);
  for (const c of [east, west]) await kubeFor(c).core.deleteNamespace({ name: NS }).catch(() => undefined);
  if (repo) await removeRepo(repo);
});

describe("a rollout wave across shards", () => {
  it("the canary in one replica's shard holds the cluster of the other replica's shard until it is healthy there", async () => {
    for (const name of ["wave-a", "wave-b"]) {
      replicas.push(await startReplica({ name, source: repo.url, helm: binaries.helm, shards: 2, leaseCluster: east, leaseNamespace: LEASE_NS, leaseSeconds: 6, intervalSeconds: 1, helmTimeoutSeconds: 15 }));
    }
    const [canary, rest] = await until("one shard each", async () => {
      const [a, b] = [await actorOf(0), await actorOf(1)];
      return a && b && a !== b ? [a, b] : undefined;
    }, 60_000, 200);

    // 1.0.0 once the shards are split (a replica alone at first holds both): the canary first, then west, each by its own replica
    await commitFiles(repo, { "apps/sw.yaml": app, "components/swapi-1.0.0.yaml": webComponent("swapi", "1.0.0", { image: IMAGE }) }, { message: "sw 1.0.0" });
    await until("1.0.0 on west", async () => ((await image(west)) === `${IMAGE}:1.0.0` ? true : undefined), 120_000, 500);
    expect(await image(east)).toBe(`${IMAGE}:1.0.0`);
    expect(canary.log).toMatch(new RegExp(`"cluster":"${east.name}"[^\\n]*"action":"install"`));
    expect(canary.log).not.toMatch(new RegExp(`"cluster":"${west.name}"[^\\n]*"action":"install"`));
    // the record is logged once the action has ended (health included), a little after the Deployment shows
    await until("west's install in its replica's log", async () => (new RegExp(`"cluster":"${west.name}"[^\\n]*"action":"install"`).test(rest.log) ? true : undefined), 30_000, 200);

    // 1.1.0 never becomes ready on the canary: west stays at 1.0.0 pass after pass
    await commitFiles(repo, { "components/swapi-1.1.0.yaml": webComponent("swapi", "1.1.0", { image: BROKEN }) }, { message: "sw 1.1.0, never ready" });
    await until("1.1.0 on the canary", async () => ((await image(east)) === `${BROKEN}:1.1.0` ? true : undefined), 120_000, 500);
    const held = await until(
      "west's replica to say west waits for the canary",
      async () => {
        const w = (await status(rest)).rollout?.find((r) => r.application === "sw")?.waves;
        return w?.[1]?.state === "waiting" && w[1].waitingFor === "previous-wave" ? w : undefined;
      },
      60_000,
      500,
    );
    expect(held[1]!.clusters).toEqual([west.name]);
    for (let i = 0; i < 10; i++) {
      expect(await image(west)).toBe(`${IMAGE}:1.0.0`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(rest.log).not.toMatch(new RegExp(`"cluster":"${west.name}"[^\\n]*"action":"upgrade"`));

    // 1.2.0 is healthy on the canary: once its replica stores it done there, west's replica upgrades west
    await commitFiles(repo, { "components/swapi-1.2.0.yaml": webComponent("swapi", "1.2.0", { image: IMAGE }) }, { message: "sw 1.2.0" });
    await until("1.2.0 on west", async () => ((await image(west)) === `${IMAGE}:1.2.0` ? true : undefined), 180_000, 500);
    expect(await image(east)).toBe(`${IMAGE}:1.2.0`);
    await until("west's upgrade in its replica's log", async () => (new RegExp(`"cluster":"${west.name}"[^\\n]*"action":"upgrade"[^\\n]*"to":"1.2.0"`).test(rest.log) ? true : undefined), 30_000, 200);
    expect(canary.log).not.toMatch(new RegExp(`"cluster":"${west.name}"[^\\n]*"action":"(install|upgrade)"`));
  });

  it("a revision whose spec.shard is not one of the shards berth runs is invalid: nothing applied, status names file, line and what would be right", async () => {
    const bad = await commitFiles(repo, { [`clusters/${west.name}.yaml`]: clusterFile(west, 5), "components/swapi-1.3.0.yaml": webComponent("swapi", "1.3.0", { image: IMAGE }) }, { message: "west in shard 5 of 2" });
    const r = replicas.find(isAlive)!;
    const invalid = await until(
      "the invalid revision in status",
      async () => ((await (await fetch(`${r.url}/api/v1/status`)).json()) as { invalidRevision?: { sha: string; errors: string[] } }).invalidRevision,
      30_000,
      500,
    );
    expect(invalid.sha).toBe(bad);
    expect(invalid.errors).toEqual([`clusters/${west.name}.yaml:6:10 spec.shard: shard 5 of cluster ${west.name} is not one of the 2 shards berth runs (--shards 2): use 0..1, or drop spec.shard to hash the name`]);
    for (const c of [east, west]) expect(await image(c)).toBe(`${IMAGE}:1.2.0`);
  });
});
