// The declared steps of one move, each a Job of that move, in order. The move
// is written to the memo before its first Job; a step that could not be watched
// to its end keeps the move, so the next attempt waits on the same Job instead
// of running the step again. Shared by upgrades and rollbacks.
import type { StepSpec } from "../model/types.ts";
import type { MoveMemo, ReleaseMemo } from "../plan/observed.ts";
import type { ActionContext } from "./context.ts";
import type { ActionRecord, StepRecord } from "./memo.ts";
import { endMove } from "./move.ts";
import { failed, finish, type ActInput, type ActionOutcome } from "./outcome.ts";
import { runStep, stepSecurity } from "./run-step.ts";

export interface MoveSteps {
  move: MoveMemo;
  kind: "run" | "rollback";
  steps: { to: string; spec: StepSpec }[];
  /** How a step is named in errors: "upgrade step to 2.4.0". */
  label(to: string): string;
}

export type MoveStepsResult =
  | { ok: true; steps: StepRecord[]; memo: ReleaseMemo }
  | { ok: false; outcome: ActionOutcome };

export async function runMoveSteps(ctx: ActionContext, input: ActInput, record: ActionRecord, m: MoveSteps): Promise<MoveStepsResult> {
  const { item } = input;
  const steps: StepRecord[] = [];
  const memo = endMove(input.memo);
  const inMove = { ...input.memo, move: m.move };
  const fail = (message: string, keepMove = false): MoveStepsResult => ({
    ok: false,
    outcome: { record: finish(record, steps, new Error(message)), memo: failed(keepMove ? inMove : memo, item.digest) },
  });
  if (m.steps.length) {
    try {
      await input.persist(inMove);
    } catch (err) {
      return fail(`cannot record the move on the cluster before running its steps, so none ran: ${(err as Error).message}`);
    }
  }
  const security = stepSecurity(item.desired);
  for (const s of m.steps) {
    let rec: StepRecord;
    try {
      rec = await runStep(ctx, { release: item.name, namespace: item.namespace, kind: m.kind, to: s.to, step: s.spec, move: m.move.id, ...(security ? { security } : {}) });
    } catch (err) {
      return fail(`${m.label(s.to)} could not be run or watched to its end: ${(err as Error).message}`, true);
    }
    steps.push(rec);
    // Nothing of the release changed yet: stop here, the release stays on what it ran.
    if (!rec.succeeded) return fail(`${m.label(s.to)} (job ${rec.job}) failed: ${rec.message}`);
  }
  return { ok: true, steps, memo };
}
