// The identity of one version move, shared by every step Job it runs (see
// MoveMemo). A restart continues the move it finds in the memo when that move
// still asks for the same thing; anything else is a new move with a new id.
import { randomBytes } from "node:crypto";
import type { MoveMemo, ObservedRelease, ReleaseMemo } from "../plan/observed.ts";

export type MoveIntent = Omit<MoveMemo, "id" | "startedAt" | "fromRevision">;

export const newMoveId = (): string => randomBytes(4).toString("hex");

export interface BeginMoveOptions {
  /** The release as observed now: its latest revision is where a new move starts. */
  observed?: ObservedRelease;
  now?: Date;
  newId?: () => string;
}

/** The unfinished move in `memo` when it is this one, else a fresh move. */
export function beginMove(memo: ReleaseMemo, want: MoveIntent, o: BeginMoveOptions = {}): MoveMemo {
  const m = memo.move;
  const same = m && m.digest === want.digest && m.action === want.action && m.from === want.from && m.to === want.to;
  if (m && same && !reached(m, o.observed)) return m;
  const latest = o.observed?.revisions.at(-1)?.revision;
  return { ...want, id: (o.newId ?? newMoveId)(), startedAt: (o.now ?? new Date()).toISOString(), ...(latest !== undefined ? { fromRevision: latest } : {}) };
}

/**
 * Whether the move's digest was deployed after the move began: a berth that
 * died after helm succeeded but before recording it leaves such a move behind,
 * and a later move to that digest (after a rollback by hand) is a new one.
 */
function reached(m: MoveMemo, observed: ObservedRelease | undefined): boolean {
  if (m.fromRevision === undefined || !observed) return false;
  return observed.revisions.some((r) => r.revision > m.fromRevision! && r.digest === m.digest && (r.status === "deployed" || r.status === "superseded"));
}

/** The memo once the move's outcome is recorded: the next move, even to the same version, gets a new id. */
export function endMove(memo: ReleaseMemo): ReleaseMemo {
  const { move: _m, ...rest } = memo;
  return rest;
}
