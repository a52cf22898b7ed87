// The pure rule of leader election: given the Lease as last read, the local
// clock and what this replica believes, what to do next. Expiry is measured
// from when *this* replica saw the holder's current renewal happen (as
// client-go does), never from the renewTime the holder wrote, so that clock
// skew between replicas cannot make two of them lead at once.

export interface LeaseView {
  /** Empty or absent: nobody holds it (released or never taken). */
  holder?: string;
  /** When the holder last renewed, as written by the holder (ms since epoch). */
  renewTime?: number;
  durationMs: number;
}

export interface LeaseDecisionInput {
  /** The Lease as read now; undefined when it does not exist yet. */
  lease?: LeaseView;
  identity: string;
  now: number;
  /** Local time at which this replica first saw the lease's current (holder, renewTime). */
  observedAt: number;
  /** Whether this replica currently acts as leader. */
  leading: boolean;
  /** Local time of this replica's last successful acquire or renew. */
  lastRenewedAt?: number;
  /** A leader that could not renew for this long stops acting (shorter than the lease duration). */
  renewDeadlineMs: number;
}

export type LeaseDecision =
  | { kind: "acquire"; create: boolean; reason: string }
  | { kind: "renew" }
  | { kind: "wait"; holder: string; expiresInMs: number }
  | { kind: "lost"; reason: string };

export function decideLease(i: LeaseDecisionInput): LeaseDecision {
  if (i.leading && i.lastRenewedAt !== undefined && i.now - i.lastRenewedAt > i.renewDeadlineMs) {
    return { kind: "lost", reason: `no successful renew for ${i.now - i.lastRenewedAt} ms (deadline ${i.renewDeadlineMs} ms)` };
  }
  if (!i.lease) return { kind: "acquire", create: true, reason: "no lease yet" };
  const holder = i.lease.holder ?? "";
  if (holder === i.identity) return i.leading ? { kind: "renew" } : { kind: "acquire", create: false, reason: "the lease already names this replica" };
  if (i.leading) return { kind: "lost", reason: holder ? `the lease is now held by ${holder}` : "the lease was released" };
  if (!holder) return { kind: "acquire", create: false, reason: "the lease is free" };
  const expiresAt = i.observedAt + i.lease.durationMs;
  if (i.now >= expiresAt) return { kind: "acquire", create: false, reason: `${holder} did not renew within ${i.lease.durationMs} ms` };
  return { kind: "wait", holder, expiresInMs: expiresAt - i.now };
}

/** When this replica takes a Lease's current renewal to have happened, on its own clock. */
export interface Observation {
  /** holder@renewTime as read */
  key: string;
  at: number;
}

/**
 * A renewal first seen in the read that started at `readAt` was written after
 * the previous read (started at `prevReadAt`) still showed the old one, so it
 * happened in (prevReadAt, readAt]. Counting expiry from prevReadAt instead of
 * readAt makes a dead holder's Lease expire one duration after its last renew,
 * not one duration plus a polling interval; it is safe as long as that window
 * is shorter than the margin between the holder's own renew deadline and the
 * duration, so a window longer than `maxWindowMs` (a read failed, the event
 * loop stalled) falls back to readAt.
 */
export function observe(prev: Observation | undefined, key: string, readAt: number, prevReadAt: number | undefined, maxWindowMs: number): Observation {
  if (prev && prev.key === key) return prev;
  const early = prevReadAt !== undefined && readAt - prevReadAt <= maxWindowMs;
  return { key, at: early ? prevReadAt : readAt };
}

/** The widest window observe may count back over: half the margin between the renew deadline and the duration. */
export const observeWindowMs = (durationMs: number, renewDeadlineMs: number): number => Math.floor((durationMs - renewDeadlineMs) / 2);

/** How often a replica that may take a Lease over reads it: within the window, with room for the read itself. */
export const observeEveryMs = (windowMs: number): number => Math.floor((windowMs * 3) / 4);
