import { describe, expect, it } from "vitest";
import type { RolloutRecord } from "../adapters/kube/rollout-records.ts";
import type { Application, Cluster, ReleaseSpec, Rollout } from "../model/types.ts";
import { spec } from "../plan/test-specs.ts";
import { createLogger } from "../log.ts";
import type { ClusterResult, ClusterTarget } from "./cluster.ts";
import type { ProgressEvent } from "./progress.ts";
import { approvalHolds, gatedApps, runRollout } from "./waves.ts";

const clusterDefs = ["east", "west"].map((name) => ({ metadata: { name, labels: { env: "test" } } }) as unknown as Cluster);
const application = (name: string, rollout?: Rollout) =>
  ({ metadata: { name }, spec: { namespace: name, components: [], placement: { clusterSelector: { env: "test" }, ...(rollout ? { rollout } : {}) } } }) as unknown as Application;
const byCluster = (version = "1.0.0") =>
  new Map<string, ReleaseSpec[]>(["east", "west"].map((c) => [c, [spec("a-api", { cluster: c, application: "a", namespace: "a", component: { name: "api", version } }), spec("b-web", { cluster: c, application: "b", namespace: "b" })]]));

/** A cluster whose releases act as `outcome` says, held ones blocked; it remembers rollout records in memory. */
function target(name: string, records: RolloutRecord[] = [], writes: string[] = []) {
  return {
    name,
    paused: false,
    allowEmpty: false,
    kube: {
      listRolloutRecords: async () => records,
      ensureNamespace: async () => {},
      writeRolloutDone: async (r: { application: string; since: string }) => {
        writes.push(`${name}/${r.application}@${r.since}`);
      },
    },
  } as unknown as ClusterTarget;
}

const result = (cluster: string, held: Map<string, string> | undefined, failing: Set<string>): ClusterResult => ({
  cluster,
  reachable: true,
  releases: ["a", "b"].map((app) => {
    const name = app === "a" ? "a-api" : "b-web";
    const h = held?.get(app);
    const failed = failing.has(`${cluster}/${app}`);
    const outcome = h ? "blocked" : failed ? "failed" : "applied";
    return {
      name,
      namespace: app,
      application: app,
      outcome,
      reason: h ?? (failed ? "timed out" : "installed"),
      final: { name, namespace: app, application: app, desired: {}, needs: [], action: { kind: "none", reason: "" }, state: h ? { name: "Absent", reason: "no release" } : failed ? { name: "Failed", reason: "timed out" } : { name: "InSync", reason: "in sync" } },
      records: [],
    } as unknown as ClusterResult["releases"][number];
  }),
});

async function pass(rollout: Rollout, opts: { records?: Record<string, RolloutRecord[]>; failing?: string[]; now?: Date; version?: string } = {}) {
  const calls: string[] = [];
  const events: ProgressEvent[] = [];
  const writes: string[] = [];
  const failing = new Set(opts.failing ?? []);
  const run = await runRollout({
    repo: { applications: [application("a", rollout), application("b")], clusters: clusterDefs },
    byCluster: byCluster(opts.version),
    revision: "rev1",
    clusters: ["east", "west"].map((c) => target(c, opts.records?.[c] ?? [], writes)),
    run: async (c, held) => {
      calls.push(`${c.name}${held?.size ? ` holding ${[...held.keys()].join(",")}` : ""}`);
      return result(c.name, held, failing);
    },
    emit: (e) => events.push(e),
    log: createLogger({ level: "silent" }),
    now: () => opts.now ?? new Date("2026-12-02T12:00:00Z"),
  });
  return { ...run, calls, events, writes };
}

describe("runRollout", () => {
  it("holds only the application with waves, and runs its next wave in the same pass once the first is healthy", async () => {
    const r = await pass({ canary: ["east"] });
    expect(r.calls).toEqual(["east", "west holding a", "west"]);
    expect(r.results.find((x) => x.cluster === "west")!.releases.map((x) => `${x.name}:${x.outcome}`)).toEqual(["a-api:applied", "b-web:applied"]);
    expect(r.events).toEqual([{ kind: "waiting", cluster: "west", on: [{ name: "a", via: "wave" }] }]);
    expect(r.rollout[0]!.waves.map((w) => w.state)).toEqual(["done", "done"]);
    expect(r.writes.sort()).toEqual(["east/a@2026-12-02T12:00:00.000Z", "west/a@2026-12-02T12:00:00.000Z"]);
  });

  it("a failed first wave holds the rest, with the reason, and application b still goes everywhere", async () => {
    const r = await pass({ canary: ["east"] }, { failing: ["east/a"] });
    expect(r.calls).toEqual(["east", "west holding a"]);
    const west = r.results.find((x) => x.cluster === "west")!.releases;
    expect(west.find((x) => x.name === "a-api")).toMatchObject({ outcome: "blocked", reason: "rollout: held: wave 1 of a failed (east: a-api failed (timed out))" });
    expect(west.find((x) => x.name === "b-web")!.outcome).toBe("applied");
    expect(r.rollout[0]!.waves.map((w) => w.state)).toEqual(["failed", "waiting"]);
    expect(r.writes).toEqual([]);
  });

  it("a soak counts from when the clusters say the wave before was done, across passes", async () => {
    const digest = gatedApps({ applications: [application("a", { waves: [{ clusters: ["east"] }, { clusters: ["west"], soak: "10m" }] })], clusters: clusterDefs }, byCluster()).at(0)!.digestOn.get("east")!;
    const records = { east: [{ application: "a", namespace: "a", done: { digest, revision: "rev0", since: "2026-12-02T11:55:00Z" }, approvals: [] }] };
    const soaking = await pass({ waves: [{ clusters: ["east"] }, { clusters: ["west"], soak: "10m" }] }, { records });
    expect(soaking.calls).toEqual(["east", "west holding a"]);
    expect(soaking.rollout[0]!.waves[1]).toMatchObject({ state: "waiting", waitingFor: "soak", since: "2026-12-02T11:55:00Z" });
    expect(soaking.writes).toEqual([]); // east's record already says so
    const over = await pass({ waves: [{ clusters: ["east"] }, { clusters: ["west"], soak: "10m" }] }, { records, now: new Date("2026-12-02T12:06:00Z") });
    expect(over.calls).toEqual(["east", "west"]);
  });

  it("an approval counts for its revision, or for one that leaves the application as it was", async () => {
    const approval = { wave: 2, revision: "rev0", digest: "d1", by: "alice", at: "2026-12-02T11:00:00Z" };
    expect(approvalHolds(approval, "rev0", "other")).toBe(true);
    expect(approvalHolds(approval, "rev1", "d1")).toBe(true);
    expect(approvalHolds(approval, "rev1", "d2")).toBe(false);
    const waves: Rollout = { waves: [{ clusters: ["east"] }, { clusters: ["west"], approval: "manual" }] };
    const waiting = await pass(waves);
    expect(waiting.calls).toEqual(["east", "west holding a"]);
    expect(waiting.rollout[0]!.waves[1]).toMatchObject({ state: "waiting", waitingFor: "approval" });
    const stale = { west: [{ application: "a", namespace: "a", approvals: [{ ...approval, revision: "rev0", digest: "old" }] }] };
    expect((await pass(waves, { records: stale })).calls).toEqual(["east", "west holding a"]);
    const given = { west: [{ application: "a", namespace: "a", approvals: [{ ...approval, revision: "rev1" }] }] };
    expect((await pass(waves, { records: given })).calls).toEqual(["east", "west holding a", "west"]);
  });

  it("without waves anywhere, every cluster runs once and nothing is read", async () => {
    const r = await pass({});
    expect(r.calls).toEqual(["east", "west"]);
    expect(r.rollout).toEqual([]);
  });
});

describe("runRollout over shards: this replica acts for west only, the canary east is another replica's", () => {
  const rollout: Rollout = { canary: ["east"] };
  const digestOf = (cluster: string) => gatedApps({ applications: [application("a", rollout)], clusters: clusterDefs }, byCluster()).at(0)!.digestOn.get(cluster)!;

  async function westOnly(eastRecords: RolloutRecord[], reads: string[] = []) {
    const calls: string[] = [];
    const writes: string[] = [];
    const east = target("east", eastRecords, writes);
    const list = east.kube.listRolloutRecords.bind(east.kube);
    east.kube.listRolloutRecords = async () => {
      reads.push("east");
      return list();
    };
    const run = await runRollout({
      repo: { applications: [application("a", rollout), application("b")], clusters: clusterDefs },
      byCluster: byCluster(),
      revision: "rev1",
      clusters: [target("west", [], writes)],
      observe: [east],
      run: async (c, held) => {
        calls.push(`${c.name}${held?.size ? ` holding ${[...held.keys()].join(",")}` : ""}`);
        return result(c.name, held, new Set());
      },
      emit: () => undefined,
      log: createLogger({ level: "silent" }),
      now: () => new Date("2026-12-02T12:00:00Z"),
    });
    return { ...run, calls, writes };
  }

  it("the canary's cluster has not stored it done: west is held, east is read but never run nor written", async () => {
    const reads: string[] = [];
    const r = await westOnly([], reads);
    expect(reads).toEqual(["east"]);
    expect(r.calls).toEqual(["west holding a"]);
    expect(r.results.map((x) => x.cluster)).toEqual(["west"]);
    expect(r.results[0]!.releases.find((x) => x.name === "a-api")).toMatchObject({ outcome: "blocked", reason: "rollout: waiting for wave 1 of a to be healthy" });
    expect(r.writes).toEqual([]);
  });

  it("a done record for an older digest of the canary still holds west", async () => {
    const r = await westOnly([{ application: "a", namespace: "a", done: { digest: "older", revision: "rev0", since: "2026-12-02T11:00:00Z" }, approvals: [] }]);
    expect(r.calls).toEqual(["west holding a"]);
  });

  it("once the canary's replica has stored it done at this digest, west goes, and only west's record is written", async () => {
    const r = await westOnly([{ application: "a", namespace: "a", done: { digest: digestOf("east"), revision: "rev1", since: "2026-12-02T11:59:00Z" }, approvals: [] }]);
    expect(r.calls).toEqual(["west"]);
    expect(r.rollout[0]!.waves.map((w) => w.state)).toEqual(["done", "done"]);
    expect(r.writes).toEqual(["west/a@2026-12-02T12:00:00.000Z"]);
  });
});
