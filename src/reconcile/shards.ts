// Sharding on Leases (`berth serve --shards K --leader-elect`): every replica
// renews a heartbeat Lease of its own (`berth-replica-<identity>`) and tries
// to hold its fair share of the K shard Leases (`berth-shard-<i>`). Each shard
// Lease is decided by decideLease, as the single leader Lease is: a shard is
// renewed every renewMs, and a deadline timer (renewDeadlineMs, shorter than
// the lease duration) stops this replica acting for it on its own when renews
// keep failing, before any other replica may consider the Lease expired. A
// shard handed over to a new replica is first dropped from what this replica
// acts for, then the running pass is let finish (drain), and only then is the
// holder cleared, so two replicas never act for one shard at once.
import type { LeaseClient, LeaseNamespace, LeaseRecord } from "../adapters/lease.ts";
import { LeaseConflict } from "../adapters/lease.ts";
import type { Logger } from "../log.ts";
import { decideLease, type Observation, observe, observeEveryMs, observeWindowMs } from "./lease-decision.ts";
import { planShards, REPLICA_LEASE_PREFIX, replicaLeaseName, shardLeaseName } from "./shard-plan.ts";

/** What serve, the loop, status and metrics consult. */
export interface ShardHook {
  readonly identity: string;
  readonly shards: number;
  /** The shards this replica acts for now: held, renewed within the deadline, not being handed over. */
  acting(): ReadonlySet<number>;
  /** Called after every change of acting(); returns the unsubscribe. */
  onChange(cb: (acting: ReadonlySet<number>) => void): () => void;
  /** Who holds which shard as last read, the live replicas, and when this replica acted for which shard. */
  view(): ShardView;
}

export interface ShardView {
  identity: string;
  shards: number;
  /** The most this replica holds: ceil(shards / live replicas). */
  share: number;
  live: string[];
  acting: number[];
  holders: Array<{ shard: number; holder?: string; renewTime?: string }>;
  /**
   * When this replica began and stopped acting for each shard (its own clock),
   * newest last, bounded; a hand-over ends once the running pass has ended.
   */
  history: Array<{ shard: number; from: string; to?: string; reason?: string }>;
}

export interface ShardManager extends ShardHook {
  /** What a handed-over shard waits for before its Lease is cleared: the running pass (serve sets it). */
  setDrain(drain: () => Promise<void>): void;
  /** Stops acting, releases every held shard and removes the heartbeat, so the others rebalance at once. */
  stop(): Promise<void>;
}

export interface ShardOptions {
  leases: LeaseNamespace;
  shards: number;
  identity: string;
  leaseDurationMs?: number; // default 15 s
  renewDeadlineMs?: number; // default 2/3 of the duration
  renewMs?: number; // default 2 s
  retryMs?: number; // default 2 s
  log: Logger;
  now?: () => number;
  drain?: () => Promise<void>;
}

const HISTORY = 100;
/** A heartbeat Lease unchanged this many lease durations belongs to a replica long gone: delete it. */
const HEARTBEAT_GC = 10;

export function startShards(o: ShardOptions): ShardManager {
  const durationMs = o.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = o.renewDeadlineMs ?? Math.floor((durationMs * 2) / 3);
  const renewMs = o.renewMs ?? 2_000;
  const retryMs = o.retryMs ?? 2_000;
  if (!Number.isInteger(o.shards) || o.shards < 1) throw new Error(`shards: the number of shards must be a whole number of at least 1, got ${o.shards}`);
  if (renewDeadlineMs >= durationMs) throw new Error(`shards: renewDeadlineMs (${renewDeadlineMs}) must be shorter than leaseDurationMs (${durationMs})`);
  if (renewMs >= renewDeadlineMs) throw new Error(`shards: renewMs (${renewMs}) must be shorter than renewDeadlineMs (${renewDeadlineMs})`);
  const now = o.now ?? Date.now;
  const identity = o.identity;
  const log = o.log.child({ identity, shards: o.shards });
  const heartbeatName = replicaLeaseName(identity);
  let drain = o.drain ?? (async () => undefined);

  /** Shards whose Lease names this replica (renewed by it), with the local time of the last successful write. */
  const held = new Map<number, number>();
  const acting = new Set<number>();
  /** Shards being handed over: not acted for; `true` once the running pass has ended. */
  const draining = new Map<number, { drained: boolean }>();
  const deadlines = new Map<number, NodeJS.Timeout>();
  const seen = new Map<string, Observation>();
  /** The start of the last successful list, and how far back a renewal first seen in the next may be counted. */
  let lastListAt: number | undefined;
  const windowMs = observeWindowMs(durationMs, renewDeadlineMs);
  const listeners = new Set<(acting: ReadonlySet<number>) => void>();
  const history: ShardView["history"] = [];
  let holders: ShardView["holders"] = [];
  let live: string[] = [identity];
  let share = o.shards;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** When another replica's shard Lease expires next, as this replica counts it: the next round then, not a retry later. */
  let soonest: number | undefined;
  let running: Promise<void> = Promise.resolve();

  function changed(): void {
    const snapshot = new Set(acting);
    for (const cb of listeners) {
      try {
        cb(snapshot);
      } catch (err) {
        log.error({ err: (err as Error).message }, "shard listener failed");
      }
    }
  }

  const openInterval = (shard: number) => [...history].reverse().find((h) => h.shard === shard && h.to === undefined);

  function startActing(shard: number, reason: string): void {
    if (acting.has(shard) || draining.has(shard) || stopped) return;
    acting.add(shard);
    // kept again while its hand-over was draining: the same interval goes on
    if (!openInterval(shard)) history.push({ shard, from: new Date(now()).toISOString() });
    if (history.length > HISTORY) history.shift();
    log.info({ shard, reason }, "acting for shard");
    changed();
  }

  /** `closed`: no pass can be acting for it any more (else the interval ends once the running pass has drained). */
  function stopActing(shard: number, reason: string, closed = true): void {
    if (!acting.delete(shard)) return;
    if (closed) closeInterval(shard, reason);
    log.warn({ shard, reason }, "stopped acting for shard");
    changed();
  }

  function closeInterval(shard: number, reason: string): void {
    const open = openInterval(shard);
    if (open) Object.assign(open, { to: new Date(now()).toISOString(), reason });
  }

  /** The Lease is no longer ours (or renews failed past the deadline): forget it. */
  function drop(shard: number, reason: string): void {
    stopActing(shard, reason);
    closeInterval(shard, reason);
    held.delete(shard);
    draining.delete(shard);
    clearTimeout(deadlines.get(shard));
    deadlines.delete(shard);
  }

  function renewed(shard: number, at: number): void {
    held.set(shard, at);
    clearTimeout(deadlines.get(shard));
    // Stop acting on our own when renews keep failing, whatever the loop is doing.
    deadlines.set(shard, setTimeout(() => drop(shard, `no successful renew within ${renewDeadlineMs} ms`), Math.max(0, renewDeadlineMs - (now() - at))));
  }

  /** Expiry counts from when this replica saw a Lease's current renewal happen (lease-decision.ts). */
  function observed(name: string, r: LeaseRecord | undefined, t: number): number {
    const key = r ? `${r.holder ?? ""}@${r.renewTime ?? ""}` : "";
    const o = observe(seen.get(name), key, t, lastListAt, windowMs);
    seen.set(name, o);
    return o.at;
  }

  /** The local time taken just before the write when it succeeded: a deadline counted from it ends no later than one counted from the commit. */
  async function write(client: LeaseClient, prev: LeaseRecord | undefined, create: boolean, holder: string, what: string): Promise<number | undefined> {
    const at = now();
    const taking = holder === identity && prev?.holder !== identity;
    const next: LeaseRecord = {
      holder,
      renewTime: at,
      acquireTime: taking || prev?.acquireTime === undefined ? at : prev.acquireTime,
      // a cleared Lease is taken at once; the duration only matters to a holder
      durationMs: holder ? durationMs : 1_000,
      transitions: (prev?.transitions ?? 0) + (taking && prev?.holder ? 1 : 0),
      ...(prev?.resourceVersion ? { resourceVersion: prev.resourceVersion } : {}),
    };
    try {
      if (create) await client.create(next);
      else await client.update(next);
      return at;
    } catch (err) {
      // A conflict means another replica wrote first: the next round reads again.
      if (!(err instanceof LeaseConflict)) log.warn({ lease: client.name, err: (err as Error).message }, `${what} failed`);
      return undefined;
    }
  }

  async function round(): Promise<void> {
    const t0 = now();
    let listed: Array<{ name: string; record: LeaseRecord }>;
    try {
      listed = await o.leases.list("berth-");
    } catch (err) {
      // The deadline timers stop acting for held shards if this goes on.
      log.warn({ err: (err as Error).message }, "listing the Leases failed");
      lastListAt = undefined;
      return;
    }
    if (stopped) return;
    const byName = new Map(listed.map((l) => [l.name, l.record]));

    // Live replicas: heartbeats renewed within their duration, as this replica observed them.
    const alive = new Set([identity]);
    const gc: Array<Promise<void>> = [];
    for (const { name, record } of listed) {
      if (!name.startsWith(REPLICA_LEASE_PREFIX) || name === heartbeatName) continue;
      const since = observed(name, record, t0);
      if (record.holder && t0 < since + record.durationMs) alive.add(record.holder);
      else if (t0 - since > HEARTBEAT_GC * Math.max(record.durationMs, durationMs) && record.resourceVersion) {
        gc.push(o.leases.remove(name, record.resourceVersion).catch((err: Error) => log.debug({ lease: name, err: err.message }, "removing a dead replica's heartbeat failed")));
      }
    }
    live = [...alive].sort();

    const free = new Set<number>();
    const create = new Set<number>();
    soonest = undefined;
    const view: ShardView["holders"] = [];
    for (let shard = 0; shard < o.shards; shard++) {
      const name = shardLeaseName(shard);
      const lease = byName.get(name);
      view.push({ shard, ...(lease?.holder ? { holder: lease.holder } : {}), ...(lease?.renewTime !== undefined ? { renewTime: new Date(lease.renewTime).toISOString() } : {}) });
      const last = held.get(shard);
      const d = decideLease({
        ...(lease ? { lease } : {}),
        identity,
        now: now(),
        observedAt: observed(name, lease, t0),
        leading: last !== undefined,
        ...(last !== undefined ? { lastRenewedAt: last } : {}),
        renewDeadlineMs,
      });
      if (d.kind === "lost") drop(shard, d.reason);
      else if (d.kind === "wait") soonest = Math.min(soonest ?? Infinity, d.expiresInMs);
      else if (d.kind === "acquire") {
        // held, yet its Lease is gone (deleted): anyone may create it now, so stop acting before taking it again
        if (last !== undefined) drop(shard, "its Lease is gone");
        free.add(shard);
        if (d.create) create.add(shard);
      }
    }
    holders = view;
    lastListAt = t0;

    const plan = planShards({ shards: o.shards, identity, held: new Set(held.keys()), free, live });
    share = plan.share;
    const writes: Array<Promise<void>> = [heartbeat(byName.get(heartbeatName)), ...gc];
    for (const shard of plan.keep) {
      // kept again (the share grew back while it was being handed over): act for it again once renewed
      draining.delete(shard);
      writes.push(renew(shard, byName.get(shardLeaseName(shard))));
    }
    for (const shard of plan.release) {
      const d = draining.get(shard);
      if (!d) {
        handOver(shard, plan.share);
        writes.push(renew(shard, byName.get(shardLeaseName(shard))));
      } else if (!d.drained) {
        writes.push(renew(shard, byName.get(shardLeaseName(shard))));
      } else {
        writes.push(release(shard, byName.get(shardLeaseName(shard))));
      }
    }
    for (const shard of plan.acquire) writes.push(acquire(shard, byName.get(shardLeaseName(shard)), create.has(shard)));
    await Promise.all(writes);
  }

  async function heartbeat(prev: LeaseRecord | undefined): Promise<void> {
    await write(o.leases.client(heartbeatName), prev, !prev, identity, "renewing the heartbeat");
  }

  async function renew(shard: number, prev: LeaseRecord | undefined): Promise<void> {
    if (!prev || prev.holder !== identity) return;
    const at = await write(o.leases.client(shardLeaseName(shard)), prev, false, identity, `renewing shard ${shard}`);
    if (at !== undefined) {
      if (stopped || !held.has(shard)) return;
      renewed(shard, at);
      startActing(shard, "renewed");
    }
  }

  async function acquire(shard: number, prev: LeaseRecord | undefined, create: boolean): Promise<void> {
    const at = await write(o.leases.client(shardLeaseName(shard)), prev, create, identity, `taking shard ${shard}`);
    if (at !== undefined) {
      if (stopped) return;
      renewed(shard, at);
      startActing(shard, prev?.holder && prev.holder !== identity ? `${prev.holder} did not renew` : "the shard was free");
    }
  }

  /** Stop acting now; the Lease is renewed until the running pass has ended, then cleared. */
  function handOver(shard: number, fair: number): void {
    const mark = { drained: false };
    draining.set(shard, mark);
    const reason = `handing over: over the fair share of ${fair} with ${live.length} live replicas`;
    stopActing(shard, reason, false);
    void drain()
      .catch(() => undefined)
      .then(() => {
        mark.drained = true;
        if (draining.get(shard) === mark) closeInterval(shard, reason);
      });
  }

  async function release(shard: number, prev: LeaseRecord | undefined): Promise<void> {
    if (prev?.holder === identity && (await write(o.leases.client(shardLeaseName(shard)), prev, false, "", `releasing shard ${shard}`)) !== undefined) {
      log.info({ shard }, "released the shard");
    }
    drop(shard, "released");
  }

  function schedule(): void {
    if (stopped) return;
    // read often enough that a renewal is counted from the read before it (observe)
    const every = Math.min(held.size ? renewMs : retryMs, observeEveryMs(windowMs));
    timer = setTimeout(() => {
      running = round()
        .catch((err: unknown) => log.error({ err: (err as Error).message }, "shard round failed"))
        .finally(schedule);
    }, Math.max(50, Math.min(every, soonest === undefined ? Infinity : soonest + 20)));
  }

  running = round()
    .catch((err: unknown) => log.error({ err: (err as Error).message }, "shard round failed"))
    .finally(schedule);

  return {
    identity,
    shards: o.shards,
    acting: () => new Set(acting),
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    view: () => ({ identity, shards: o.shards, share, live: [...live], acting: [...acting].sort((a, b) => a - b), holders: holders.map((h) => ({ ...h })), history: history.map((h) => ({ ...h })) }),
    setDrain(fn) {
      drain = fn;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      clearTimeout(timer);
      for (const shard of [...acting]) stopActing(shard, "stopping", false);
      // a pass that is still running ends before any other replica may act for these clusters
      await drain().catch(() => undefined);
      for (const h of history) if (h.to === undefined) closeInterval(h.shard, "stopping");
      const mine = [...held.keys()];
      await Promise.all(
        mine.map(async (shard) => {
          try {
            const lease = await o.leases.client(shardLeaseName(shard)).get();
            if (lease?.holder === identity) await write(o.leases.client(shardLeaseName(shard)), lease, false, "", `releasing shard ${shard}`);
          } catch (err) {
            log.warn({ shard, err: (err as Error).message }, "releasing a shard failed; another replica takes it when it expires");
          }
          drop(shard, "stopping");
        }),
      );
      try {
        const hb = await o.leases.client(heartbeatName).get();
        if (hb?.resourceVersion) await o.leases.remove(heartbeatName, hb.resourceVersion);
      } catch (err) {
        log.debug({ err: (err as Error).message }, "removing the heartbeat failed; it expires");
      }
      log.info({ released: mine }, "stopped sharding");
    },
  };
}
