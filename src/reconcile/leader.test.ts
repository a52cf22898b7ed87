import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { KubeError } from "../errors.ts";
import { LeaseConflict, type LeaseClient, type LeaseRecord } from "../adapters/lease.ts";
import { startLeaderElection, type LeaderElection } from "./leader.ts";

// An in-memory Lease with the API server's optimistic concurrency.
function memoryLease(writeDelayMs = 0) {
  let stored: LeaseRecord | undefined;
  let rv = 0;
  const client = (who: string) => {
    const state = { dead: false };
    const guard = () => {
      if (state.dead) throw new KubeError("test", `${who}: connection refused`);
    };
    const c: LeaseClient = {
      namespace: "ns",
      name: "berth",
      async get() {
        guard();
        return stored ? { ...stored } : undefined;
      },
      async create(r) {
        guard();
        await sleep(writeDelayMs);
        if (stored) throw new LeaseConflict("test", "exists");
        stored = { ...r, resourceVersion: String(++rv) };
        return { ...stored };
      },
      async update(r) {
        guard();
        if (!stored || stored.resourceVersion !== r.resourceVersion) throw new LeaseConflict("test", "conflict");
        stored = { ...r, resourceVersion: String(++rv) };
        return { ...stored };
      },
    };
    return { c, state };
  };
  return { client, current: () => stored };
}

const log = pino({ level: "silent" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timing = { leaseDurationMs: 600, renewDeadlineMs: 400, renewMs: 100, retryMs: 50 };

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
  return Date.now() - t0;
}

describe("startLeaderElection", () => {
  const started: LeaderElection[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.stop()));
  });

  function elect(store: ReturnType<typeof memoryLease>, identity: string) {
    const { c, state } = store.client(identity);
    const e = startLeaderElection({ ...timing, identity, namespace: "ns", name: "berth", log, client: c });
    started.push(e);
    return { e, state };
  }

  it("elects exactly one of two, and never two at once while they renew", async () => {
    const store = memoryLease();
    const a = elect(store, "a");
    const b = elect(store, "b");
    await until(() => a.e.isLeader() || b.e.isLeader(), 2_000);
    for (let i = 0; i < 30; i++) {
      expect(Number(a.e.isLeader()) + Number(b.e.isLeader())).toBe(1);
      await sleep(20);
    }
    expect(store.current()?.holder).toBe(a.e.isLeader() ? "a" : "b");
  });

  it("hands over at once when the leader stops (the lease is released)", async () => {
    const store = memoryLease();
    const a = elect(store, "a");
    await until(() => a.e.isLeader(), 2_000);
    const b = elect(store, "b");
    const changes: boolean[] = [];
    b.e.onChange((v) => changes.push(v));
    await sleep(100);
    expect(b.e.isLeader()).toBe(false);
    await a.e.stop();
    expect(a.e.isLeader()).toBe(false);
    const took = await until(() => b.e.isLeader(), 2_000);
    expect(took).toBeLessThan(timing.leaseDurationMs);
    expect(changes).toEqual([true]);
    expect(store.current()).toMatchObject({ holder: "b", transitions: 0 });
  });

  it("a leader cut off from the API stops acting before the lease can expire; the other takes over after expiry", async () => {
    const store = memoryLease();
    const a = elect(store, "a");
    await until(() => a.e.isLeader(), 2_000);
    const b = elect(store, "b");
    await sleep(150);
    const cutAt = Date.now();
    a.state.dead = true;
    let aStoppedAt = 0;
    a.e.onChange((v) => {
      if (!v) aStoppedAt = Date.now();
    });
    await until(() => b.e.isLeader(), 3_000);
    const bLeadAt = Date.now();
    expect(aStoppedAt).toBeGreaterThan(0);
    expect(aStoppedAt).toBeLessThan(bLeadAt);
    expect(aStoppedAt - cutAt).toBeLessThanOrEqual(timing.renewDeadlineMs + 50);
    expect(bLeadAt - cutAt).toBeGreaterThanOrEqual(timing.leaseDurationMs - timing.renewMs);
    expect(store.current()).toMatchObject({ holder: "b", transitions: 1 });
  });

  it("stop() while the first acquire is still in flight still releases the lease", async () => {
    const store = memoryLease(100);
    const a = elect(store, "a");
    await sleep(20);
    await a.e.stop();
    expect(a.e.isLeader()).toBe(false);
    expect(store.current()?.holder).toBe("");
  });

  it("rejects timings that could let two replicas lead", () => {
    const store = memoryLease();
    expect(() =>
      startLeaderElection({ leaseDurationMs: 1_000, renewDeadlineMs: 1_000, namespace: "ns", name: "x", log, client: store.client("x").c }),
    ).toThrow(/renewDeadlineMs/);
  });
});
