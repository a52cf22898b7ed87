import { describe, expect, it } from "vitest";
import { fairShare, fnv1a, planShards, replicaLeaseName, shardIssues, shardOf, type ShardPlanInput } from "./shard-plan.ts";

const cluster = (name: string, shard?: number) => ({ metadata: { name }, spec: shard === undefined ? {} : { shard } });

describe("shardOf", () => {
  it("hashes the name the same way every time (FNV-1a reference values)", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it.each([
    ["east", 6, undefined, fnv1a("east") % 6],
    ["west", 6, undefined, fnv1a("west") % 6],
    ["east", 1, undefined, 0],
    ["east", 6, 4, 4],
    ["west", 6, 0, 0],
  ])("%s with %i shards (spec.shard %s) is in shard %i", (name, k, explicit, want) => {
    expect(shardOf(cluster(name, explicit), k)).toBe(want);
  });

  it("spreads many names over the shards", () => {
    const counts = new Array<number>(6).fill(0);
    for (let n = 0; n < 600; n++) counts[shardOf(cluster(`cluster-${n}`), 6)]! += 1;
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });
});

describe("shardIssues", () => {
  it.each([
    [[cluster("a"), cluster("b", 0), cluster("c", 5)], 6, []],
    [[cluster("a", 6)], 6, ["a: shard 6 of cluster a is not one of the 6 shards berth runs (--shards 6): use 0..5, or drop spec.shard to hash the name"]],
    [[cluster("a", -1), cluster("b", 1.5)], 2, [expect.stringMatching(/^a: shard -1 of cluster a/), expect.stringMatching(/^b: shard 1.5 of cluster b/)]],
    [[cluster("a", 1)], 1, ["a: shard 1 of cluster a is not one of the 1 shard berth runs (--shards 1): use 0..0, or drop spec.shard to hash the name"]],
  ])("%j with %i shards", (clusters, k, want) => {
    expect(shardIssues(clusters, k).map((i) => `${i.cluster.metadata.name}: ${i.message}`)).toEqual(want);
  });
});

describe("fairShare", () => {
  it.each([
    [6, 1, 6],
    [6, 2, 3],
    [6, 3, 2],
    [6, 4, 2],
    [6, 6, 1],
    [6, 7, 1],
    [1, 3, 1],
    [6, 0, 6],
  ])("%i shards over %i live replicas: at most %i each", (k, live, want) => {
    expect(fairShare(k, live)).toBe(want);
  });
});

type Case = Partial<Omit<ShardPlanInput, "held" | "free">> & { held?: number[]; free?: number[] };
const input = (p: Case): ShardPlanInput => ({
  shards: 6,
  identity: "a",
  live: ["a"],
  ...p,
  held: new Set(p.held ?? []),
  free: new Set(p.free ?? []),
});

describe("planShards", () => {
  it.each<[string, Case, { share: number; keep: number[]; release: number[]; acquire: number }]>([
    ["alone: takes every free shard", { free: [0, 1, 2, 3, 4, 5] }, { share: 6, keep: [], release: [], acquire: 6 }],
    ["alone, holding all: keeps them", { held: [0, 1, 2, 3, 4, 5] }, { share: 6, keep: [0, 1, 2, 3, 4, 5], release: [], acquire: 0 }],
    ["two more join: keeps the two lowest, releases four", { held: [0, 1, 2, 3, 4, 5], live: ["a", "b", "c"] }, { share: 2, keep: [0, 1], release: [2, 3, 4, 5], acquire: 0 }],
    ["at its share with free shards around: takes none", { held: [1, 4], free: [0, 2], live: ["a", "b", "c"] }, { share: 2, keep: [1, 4], release: [], acquire: 0 }],
    ["one below its share: takes one", { held: [3], free: [0, 2], live: ["a", "b", "c"] }, { share: 2, keep: [3], release: [], acquire: 1 }],
    ["a replica died: the share grows, free shards are taken", { held: [0, 1], free: [4, 5], live: ["a", "b"] }, { share: 3, keep: [0, 1], release: [], acquire: 1 }],
    ["a replica died, none free yet (its Leases not expired): waits", { held: [0, 1], live: ["a", "b"] }, { share: 3, keep: [0, 1], release: [], acquire: 0 }],
    ["not in its own live list: counted anyway", { held: [0, 1, 2], live: ["b"] }, { share: 3, keep: [0, 1, 2], release: [], acquire: 0 }],
    ["4 replicas, 6 shards: two at most, none released at two", { held: [2, 5], live: ["a", "b", "c", "d"] }, { share: 2, keep: [2, 5], release: [], acquire: 0 }],
    ["a held shard beyond K (shards lowered) is neither kept nor renewed", { held: [0, 7], shards: 6 }, { share: 6, keep: [0], release: [], acquire: 0 }],
  ])("%s", (_, p, want) => {
    const plan = planShards(input(p));
    expect({ share: plan.share, keep: plan.keep, release: plan.release, acquire: plan.acquire.length }).toEqual(want);
    for (const s of plan.acquire) expect(p.free ?? []).toContain(s);
  });

  it("never plans to take a shard it holds or one that is not free", () => {
    const plan = planShards(input({ held: [0], free: [0, 3], live: ["a", "b", "c"] }));
    expect(plan.acquire).toEqual([3]);
  });

  it("replicas start their search at different shards, so they rarely race for one Lease", () => {
    const free = [0, 1, 2, 3, 4, 5];
    const firsts = new Set(["replica-0", "replica-1", "replica-2", "replica-3", "replica-4"].map((id) => planShards(input({ identity: id, free, live: [id] })).acquire[0]));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it("the same input gives the same plan (no flapping from one round to the next)", () => {
    const p = input({ held: [5, 1, 3], free: [0], live: ["a", "b", "c"] });
    expect(planShards(p)).toEqual(planShards(p));
    expect(planShards(p).keep).toEqual([1, 3]);
    expect(planShards(p).release).toEqual([5]);
  });
});

describe("replicaLeaseName", () => {
  it.each([
    ["berth-7d9f-abc12", "berth-replica-berth-7d9f-abc12"],
    ["Host_Name.local-12-ab", "berth-replica-host-name.local-12-ab"],
    ["--", "berth-replica-replica"],
  ])("%s -> %s", (id, want) => {
    expect(replicaLeaseName(id)).toBe(want);
  });

  it("stays within 253 characters and ends alphanumeric", () => {
    const n = replicaLeaseName(`${"x".repeat(300)}`);
    expect(n.length).toBeLessThanOrEqual(253);
    expect(n).toMatch(/[a-z0-9]$/);
  });
});
