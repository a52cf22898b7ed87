// When a failed delivery is tried again: exponential backoff with full jitter
// (a random wait between 0 and base * 2^(attempt-1), capped), so receivers
// coming back after an outage are not hit by every berth at the same moment.

export interface BackoffPolicy {
  /** The first retry waits up to this long. */
  baseMs: number;
  /** No wait is longer. */
  maxMs: number;
  /** Deliveries tried this often in all, then given up (counted as failed). */
  attempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000, attempts: 8 };

/** The wait before try `attempt + 1`, after `attempt` (1-based) failed tries; `random` in [0, 1). */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
