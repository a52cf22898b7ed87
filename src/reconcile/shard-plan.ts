// The pure rules of sharding (`berth serve --shards K`): which shard a cluster
// is in, how many shards one replica may hold, and, given the shard Leases as
// this replica sees them and the replicas alive, which shards to try for, keep
// and release. Expiry of each Lease is decided by decideLease (lease-decision.ts);
// this only chooses among the shards that are free to take.

/** Name prefix of the shard Leases (`berth-shard-<i>`) and of the replicas' heartbeat Leases. */
export const SHARD_LEASE_PREFIX = "berth-shard-";
export const REPLICA_LEASE_PREFIX = "berth-replica-";

export const shardLeaseName = (shard: number) => `${SHARD_LEASE_PREFIX}${shard}`;

/** A Lease name of at most 253 characters of [a-z0-9.-], starting and ending alphanumeric. */
export function replicaLeaseName(identity: string): string {
  const safe = identity.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return `${REPLICA_LEASE_PREFIX}${safe || "replica"}`.slice(0, 253).replace(/[^a-z0-9]+$/, "");
}

/** FNV-1a, 32 bits, over the UTF-8 bytes: the same on every replica and every Node version. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The shard of a cluster: `spec.shard` when set, else a stable hash of its name. */
export function shardOf(cluster: { metadata: { name: string }; spec?: { shard?: number } }, shards: number): number {
  const explicit = cluster.spec?.shard;
  if (explicit !== undefined) return explicit;
  return fnv1a(cluster.metadata.name) % shards;
}

/** Clusters whose `spec.shard` is not a shard of `--shards K`, with what would be right (the field is `spec.shard`). */
export function shardIssues<C extends { metadata: { name: string }; spec?: { shard?: number } }>(clusters: readonly C[], shards: number): Array<{ cluster: C; message: string }> {
  return clusters.flatMap((c) => {
    const s = c.spec?.shard;
    if (s === undefined || (Number.isInteger(s) && s >= 0 && s < shards)) return [];
    return [{ cluster: c, message: `shard ${s} of cluster ${c.metadata.name} is not one of the ${shards} shard${shards === 1 ? "" : "s"} berth runs (--shards ${shards}): use 0..${shards - 1}, or drop spec.shard to hash the name` }];
  });
}

/** At most this many shards per replica: ceil(K / live replicas). */
export function fairShare(shards: number, liveReplicas: number): number {
  return Math.ceil(shards / Math.max(1, liveReplicas));
}

export interface ShardPlanInput {
  shards: number;
  identity: string;
  /** Shards this replica holds now (renewing them), including those it is handing over. */
  held: ReadonlySet<number>;
  /** Shards whose Lease this replica may take now (none, released, or expired as it saw it). */
  free: ReadonlySet<number>;
  /** Live replicas (their heartbeat Leases renewed), this one included or not: it is counted. */
  live: ReadonlyArray<string>;
}

export interface ShardPlan {
  share: number;
  /** Free shards to try to take this round, best first. */
  acquire: number[];
  keep: number[];
  /** Held shards to hand over (stop acting, then clear the holder). */
  release: number[];
}

/**
 * Keep what is held up to the fair share (the lowest numbers, so every replica
 * agrees which it lets go of); release the rest only when over it; take free
 * shards up to the share, starting at an offset that differs per replica so
 * replicas starting together rarely race for the same Lease.
 */
export function planShards(i: ShardPlanInput): ShardPlan {
  const live = new Set(i.live);
  live.add(i.identity);
  const share = fairShare(i.shards, live.size);
  const held = [...i.held].filter((s) => s >= 0 && s < i.shards).sort((a, b) => a - b);
  const keep = held.slice(0, share);
  const release = held.slice(share);
  const room = share - keep.length;
  const start = fnv1a(i.identity) % i.shards;
  const order = Array.from({ length: i.shards }, (_, k) => (start + k) % i.shards);
  const acquire = room > 0 ? order.filter((s) => i.free.has(s) && !i.held.has(s)).slice(0, room) : [];
  return { share, acquire, keep, release };
}
