// The identity of one version move, shared by every step Job it runs (see
// MoveMemo). A restart continues the move it finds in the memo when that move
// still asks for the same thing; anything else is a new move with a new id.
import { randomBytes } from "node:crypto";
import type { MoveMemo, ReleaseMemo } from "../plan/observed.ts";

export type MoveIntent = Omit<MoveMemo, "id" | "startedAt">;

export const newMoveId = (): string => randomBytes(4).toString("hex");

/** The unfinished move in `memo` when it is this one, else a fresh move. */
export function beginMove(memo: ReleaseMemo, want: MoveIntent, now = new Date(), newId = newMoveId): MoveMemo {
  const m = memo.move;
  if (m && m.digest === want.digest && m.action === want.action && m.from === want.from && m.to === want.to) return m;
  return { ...want, id: newId(), startedAt: now.toISOString() };
}

/** The memo once the move's outcome is recorded: the next move, even to the same version, gets a new id. */
export function endMove(memo: ReleaseMemo): ReleaseMemo {
  const { move: _m, ...rest } = memo;
  return rest;
}
