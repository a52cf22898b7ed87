// The shard manager over an in-memory namespace of Leases that keeps the API
// server's optimistic concurrency (resourceVersion): replicas converge to a
// fair share, never act for one shard at once, and a cut-off replica stops
// acting before its shards are taken.
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { LeaseConflict, type LeaseClient, type LeaseNamespace, type LeaseRecord } from "../adapters/lease.ts";
import { startShards, type ShardManager } from "./shards.ts";

const log = pino({ level: "silent" });
const timing = { leaseDurationMs: 800, renewDeadlineMs: 500, renewMs: 100, retryMs: 60 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function memoryLeases(): { ns: (cut?: () => boolean) => LeaseNamespace; store: Map<string, LeaseRecord> } {
  const store = new Map<string, LeaseRecord>();
  let version = 0;
  const ns = (cut: () => boolean = () => false): LeaseNamespace => {
    const guard = async <T>(f: () => T): Promise<T> => {
      await sleep(2);
      if (cut()) throw new Error("replica is cut off");
      return f();
    };
    const client = (name: string): LeaseClient => ({
      namespace: "default",
      name,
      get: () => guard(() => store.get(name)),
      create: (r) =>
        guard(() => {
          if (store.has(name)) throw new LeaseConflict("lease", "exists");
          const next = { ...r, resourceVersion: String(++version) };
          store.set(name, next);
          return next;
        }),
      update: (r) =>
        guard(() => {
          if (store.get(name)?.resourceVersion !== r.resourceVersion) throw new LeaseConflict("lease", "conflict");
          const next = { ...r, resourceVersion: String(++version) };
          store.set(name, next);
          return next;
        }),
    });
    return {
      namespace: "default",
      client,
      list: (prefix) => guard(() => [...store].filter(([n]) => n.startsWith(prefix)).map(([name, record]) => ({ name, record }))),
      remove: (name, rv) =>
        guard(() => {
          if (store.get(name)?.resourceVersion === rv) store.delete(name);
        }),
    };
  };
  return { ns, store };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await sleep(10);
  }
}

const started: ShardManager[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()));
});

function start(ns: LeaseNamespace, identity: string, shards = 6, drain?: () => Promise<void>): ShardManager {
  const m = startShards({ ...timing, leases: ns, shards, identity, log, ...(drain ? { drain } : {}) });
  started.push(m);
  return m;
}

/** Samples who acts for what every few ms; fails on a shard acted for by two replicas at once. */
function watchOverlap(ms: ShardManager[]): { stop(): void; overlaps: string[] } {
  const overlaps: string[] = [];
  const t = setInterval(() => {
    const by = new Map<number, string[]>();
    for (const m of ms) for (const s of m.acting()) by.set(s, [...(by.get(s) ?? []), m.identity]);
    for (const [s, ids] of by) if (ids.length > 1) overlaps.push(`shard ${s}: ${ids.join(", ")}`);
  }, 3);
  return { stop: () => clearInterval(t), overlaps };
}

describe("shard manager", () => {
  it("alone: holds every shard, and the Leases and its heartbeat name it", async () => {
    const { ns, store } = memoryLeases();
    const a = start(ns(), "a", 4);
    await until(() => a.acting().size === 4, 2_000);
    for (let i = 0; i < 4; i++) expect(store.get(`berth-shard-${i}`)?.holder).toBe("a");
    expect(store.get("berth-replica-a")?.holder).toBe("a");
    expect(a.view()).toMatchObject({ identity: "a", shards: 4, share: 4, live: ["a"], acting: [0, 1, 2, 3] });
  });

  it("three replicas, six shards: two each once all are live, and no shard acted for by two at once while one hands over", async () => {
    const { ns, store } = memoryLeases();
    const handedOver: number[] = [];
    const a = start(ns(), "a", 6, async () => {
      handedOver.push(Date.now());
      await sleep(50);
    });
    await until(() => a.acting().size === 6, 2_000);
    const b = start(ns(), "b");
    const c = start(ns(), "c");
    const watch = watchOverlap([a, b, c]);
    try {
      await until(() => [a, b, c].every((m) => m.acting().size === 2), 5_000);
    } finally {
      watch.stop();
    }
    expect(watch.overlaps).toEqual([]);
    expect(handedOver.length).toBeGreaterThan(0);
    const holders = Array.from({ length: 6 }, (_, i) => store.get(`berth-shard-${i}`)?.holder);
    for (const id of ["a", "b", "c"]) expect(holders.filter((h) => h === id)).toHaveLength(2);
    // what a replica says it holds is what the Leases say
    for (const m of [a, b, c]) expect(m.view().acting).toEqual(holders.flatMap((h, i) => (h === m.identity ? [i] : [])));
  });

  it("a replica cut off from the API stops acting within the renew deadline; the others take its shards after it would have stopped, within the lease duration of the cut", async () => {
    const { ns, store } = memoryLeases();
    let dead = false;
    const a = start(ns(() => dead), "a");
    const b = start(ns(), "b");
    const c = start(ns(), "c");
    await until(() => [a, b, c].every((m) => m.acting().size === 2), 5_000);
    const mine = [...a.acting()];
    let stoppedAt = 0;
    a.onChange((s) => {
      if (s.size === 0 && !stoppedAt) stoppedAt = Date.now();
    });
    const watch = watchOverlap([a, b, c]);
    const cutAt = Date.now();
    dead = true;
    // what a last wrote before the cut (its clock, taken before the write)
    const lastRenew = Math.max(...mine.map((s) => store.get(`berth-shard-${s}`)?.renewTime ?? 0));
    await until(() => b.acting().size + c.acting().size === 6, timing.leaseDurationMs * 4);
    const tookOver = Date.now() - cutAt;
    watch.stop();
    expect(watch.overlaps).toEqual([]);
    expect(stoppedAt - cutAt).toBeLessThanOrEqual(timing.renewDeadlineMs + timing.renewMs + 50);
    expect(stoppedAt - lastRenew).toBeLessThanOrEqual(timing.renewDeadlineMs + 20);
    // counted from the read before the one that saw a's last renewal: within the duration of the cut, plus a read and a write
    expect(tookOver).toBeLessThanOrEqual(timing.leaseDurationMs + 60);
    const firstTaken = Math.min(...[b, c].flatMap((m) => m.view().history.filter((h) => mine.includes(h.shard)).map((h) => Date.parse(h.from))));
    expect(firstTaken - lastRenew).toBeGreaterThan(timing.renewDeadlineMs);
    expect(b.acting().size).toBe(3);
    expect(c.acting().size).toBe(3);
    for (const s of mine) expect(["b", "c"]).toContain(store.get(`berth-shard-${s}`)?.holder);
  });

  it("stop() hands every shard back at once: the others take them without waiting for expiry", async () => {
    const { ns } = memoryLeases();
    const a = start(ns(), "a", 4);
    const b = start(ns(), "b", 4);
    await until(() => a.acting().size === 2 && b.acting().size === 2, 5_000);
    const t0 = Date.now();
    await a.stop();
    await until(() => b.acting().size === 4, 3_000);
    expect(Date.now() - t0).toBeLessThan(timing.leaseDurationMs);
  });

  it("a handed-over shard is not cleared before the running pass (drain) has ended", async () => {
    const { ns, store } = memoryLeases();
    let finish!: () => void;
    const passEnds = new Promise<void>((r) => (finish = r));
    const a = start(ns(), "a", 2, () => passEnds);
    await until(() => a.acting().size === 2, 2_000);
    const b = start(ns(), "b", 2);
    await until(() => a.acting().size === 1, 3_000);
    await sleep(timing.leaseDurationMs * 2);
    // a still holds (and renews) the Lease it no longer acts for; b has not taken it
    expect(b.acting().size).toBe(0);
    expect([store.get("berth-shard-0")?.holder, store.get("berth-shard-1")?.holder]).toEqual(["a", "a"]);
    // the interval a reports for the shard it handed over stays open while the pass runs
    const [gone] = [0, 1].filter((s) => !a.acting().has(s));
    expect(a.view().history.find((h) => h.shard === gone)?.to).toBeUndefined();
    const finishedAt = Date.now();
    finish();
    await until(() => b.acting().size === 1, 3_000);
    const ended = Date.parse(a.view().history.find((h) => h.shard === gone)!.to!);
    expect(ended).toBeGreaterThanOrEqual(finishedAt - 5);
    expect(Date.parse(b.view().history.find((h) => h.shard === gone)!.from)).toBeGreaterThanOrEqual(ended);
  });

  it("a held shard whose Lease is deleted: stops acting for it at once, then takes it again", async () => {
    const { ns, store } = memoryLeases();
    const a = start(ns(), "a", 2);
    await until(() => a.acting().size === 2, 2_000);
    store.delete("berth-shard-1");
    await until(() => a.view().history.some((h) => h.shard === 1 && h.to !== undefined), 2_000);
    expect(a.view().history.find((h) => h.shard === 1 && h.to)).toMatchObject({ reason: "its Lease is gone" });
    await until(() => a.acting().size === 2 && store.get("berth-shard-1")?.holder === "a", 2_000);
  });

  it("refuses timings that would let two replicas act at once", () => {
    const { ns } = memoryLeases();
    expect(() => startShards({ leases: ns(), shards: 2, identity: "x", log, leaseDurationMs: 1_000, renewDeadlineMs: 1_000 })).toThrow(/renewDeadlineMs \(1000\) must be shorter/);
    expect(() => startShards({ leases: ns(), shards: 0, identity: "x", log })).toThrow(/at least 1/);
  });
});
