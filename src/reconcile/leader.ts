// Leader election on a Lease: several berth replicas run, one acts. The leader
// renews every renewMs; a deadline timer (renewDeadlineMs, shorter than the
// lease duration) makes it stop acting on its own when renews keep failing,
// before any other replica could consider the lease expired. stop() releases
// the lease so that a successor takes over at its next retry.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { createLeaseClient, LeaseConflict, type LeaseClient, type LeaseRecord } from "../adapters/lease.ts";
import type { Logger } from "../log.ts";
import { decideLease, type Observation, observe, observeEveryMs, observeWindowMs } from "./lease-decision.ts";

/** What `berth serve` and the loop consult before acting. */
export interface LeaderHook {
  isLeader(): boolean;
  /** Called with the new value on every change; returns a function that unsubscribes. */
  onChange(cb: (leading: boolean) => void): () => void;
}

export interface LeaderElection extends LeaderHook {
  readonly identity: string;
  /** Stops electing; a leader releases the lease (clears the holder) first. */
  stop(): Promise<void>;
}

export interface LeaderOptions {
  /** The configured cluster's kube config (ignored when `client` is given). */
  kubeConfig?: k8s.KubeConfig;
  cluster?: string;
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number; // default 15 s
  renewDeadlineMs?: number; // default 2/3 of the duration
  renewMs?: number; // default 2 s
  retryMs?: number; // default 2 s
  log: Logger;
  /** A ready Lease client (tests); otherwise one is made from kubeConfig. */
  client?: LeaseClient;
  now?: () => number;
}

export function defaultIdentity(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

export function startLeaderElection(o: LeaderOptions): LeaderElection {
  const identity = o.identity ?? defaultIdentity();
  const durationMs = o.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = o.renewDeadlineMs ?? Math.floor((durationMs * 2) / 3);
  const renewMs = o.renewMs ?? 2_000;
  const retryMs = o.retryMs ?? 2_000;
  if (renewDeadlineMs >= durationMs) throw new Error(`leader election: renewDeadlineMs (${renewDeadlineMs}) must be shorter than leaseDurationMs (${durationMs})`);
  if (renewMs >= renewDeadlineMs) throw new Error(`leader election: renewMs (${renewMs}) must be shorter than renewDeadlineMs (${renewDeadlineMs})`);
  const now = o.now ?? Date.now;
  const log = o.log.child({ lease: `${o.namespace}/${o.name}`, identity });
  const client =
    o.client ??
    createLeaseClient({
      kubeConfig: o.kubeConfig ?? fail("leader election needs kubeConfig or client"),
      cluster: o.cluster ?? "lease",
      namespace: o.namespace,
      name: o.name,
      // A request never outlasts the time left before the deadline.
      requestTimeoutMs: Math.max(1_000, Math.min(5_000, renewDeadlineMs - renewMs)),
    });

  let leading = false;
  let stopped = false;
  let lastRenewedAt: number | undefined;
  let seen: Observation | undefined;
  /** The start of the last successful read, and how far back a renewal first seen in the next may be counted (observe). */
  let lastReadAt: number | undefined;
  const windowMs = observeWindowMs(durationMs, renewDeadlineMs);
  /** When the holder's Lease expires next as this replica counts it: read then, not a retry later. */
  let expiresInMs: number | undefined;
  let deadline: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const listeners = new Set<(leading: boolean) => void>();

  function setLeading(next: boolean, reason: string): void {
    if (next === leading) return;
    leading = next;
    if (next) log.info({ reason }, "became leader");
    else log.warn({ reason }, "stopped leading");
    if (!next) {
      clearTimeout(deadline);
      lastRenewedAt = undefined;
    }
    for (const cb of listeners) {
      try {
        cb(next);
      } catch (err) {
        log.error({ err: (err as Error).message }, "leader listener failed");
      }
    }
  }

  function renewed(at: number): void {
    lastRenewedAt = at;
    clearTimeout(deadline);
    // Stop acting on our own when renews keep failing, whatever the loop is doing.
    deadline = setTimeout(() => setLeading(false, `no successful renew within ${renewDeadlineMs} ms`), Math.max(0, renewDeadlineMs - (now() - at)));
  }

  async function round(): Promise<void> {
    const t0 = now();
    let lease: LeaseRecord | undefined;
    try {
      lease = await client.get();
    } catch (err) {
      log.warn({ err: (err as Error).message }, "reading the lease failed");
      lastReadAt = undefined;
      return;
    }
    // Expiry counts from when this replica saw the current renewal happen.
    seen = observe(seen, lease ? `${lease.holder ?? ""}@${lease.renewTime ?? ""}` : "", t0, lastReadAt, windowMs);
    lastReadAt = t0;
    expiresInMs = undefined;
    const d = decideLease({
      ...(lease ? { lease } : {}),
      identity,
      now: now(),
      observedAt: seen.at,
      leading,
      ...(lastRenewedAt !== undefined ? { lastRenewedAt } : {}),
      renewDeadlineMs,
    });
    switch (d.kind) {
      case "wait":
        expiresInMs = d.expiresInMs;
        return;
      case "lost":
        setLeading(false, d.reason);
        return;
      case "renew":
      case "acquire": {
        const at = now();
        const taking = d.kind === "acquire";
        const next: LeaseRecord = {
          holder: identity,
          renewTime: at,
          acquireTime: taking || lease?.acquireTime === undefined ? at : lease.acquireTime,
          durationMs,
          transitions: (lease?.transitions ?? 0) + (taking && lease?.holder && lease.holder !== identity ? 1 : 0),
          ...(lease?.resourceVersion ? { resourceVersion: lease.resourceVersion } : {}),
        };
        try {
          if (d.kind === "acquire" && d.create) await client.create(next);
          else await client.update(next);
        } catch (err) {
          if (!(err instanceof LeaseConflict)) log.warn({ err: (err as Error).message }, `${d.kind} failed`);
          // A conflict means another replica wrote first; the deadline timer covers a leader that keeps failing.
          return;
        }
        if (stopped) return;
        renewed(at);
        setLeading(true, d.kind === "acquire" ? d.reason : "renewed");
        return;
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    // a follower reads often enough that a renewal is counted from the read before it (observe)
    const every = leading ? renewMs : Math.min(retryMs, observeEveryMs(windowMs));
    timer = setTimeout(() => {
      running = round().finally(schedule);
    }, Math.max(50, Math.min(every, expiresInMs === undefined ? Infinity : expiresInMs + 20)));
  }

  running = round().finally(schedule);

  return {
    identity,
    isLeader: () => leading,
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      clearTimeout(timer);
      setLeading(false, "stopping");
      try {
        // Also when a round that took the lease was still running as stop() began.
        const lease = await client.get();
        if (lease?.holder === identity && lease.resourceVersion) {
          // Released: empty holder, so the next replica takes it at once instead of waiting for expiry.
          await client.update({ ...lease, holder: "", renewTime: now(), durationMs: 1_000 });
          log.info("released the lease");
        }
      } catch (err) {
        log.warn({ err: (err as Error).message }, "releasing the lease failed; a successor takes over when it expires");
      }
    },
  };
}

function fail(message: string): never {
  throw new Error(message);
}
