// A move to a lower version: the rollback steps of the crossed upgrades, newest
// first, then `helm rollback` to the revision that ran the target version.
import type { Action } from "../plan/action.ts";
import { rollbackTo, type ActionContext } from "./context.ts";
import { beginMove } from "./move.ts";
import { runMoveSteps } from "./move-steps.ts";
import { failed, finish, startRecord, succeeded, type ActInput, type ActionOutcome } from "./outcome.ts";

export async function rollbackRelease(ctx: ActionContext, input: ActInput, action: Extract<Action, { kind: "rollback" }>): Promise<ActionOutcome> {
  const { item } = input;
  const record = startRecord(ctx, item, "rollback", action.from, action.to);
  const move = beginMove(input.memo, { digest: item.digest ?? "manual", action: "rollback", from: action.from, to: action.to }, item.observed ? { observed: item.observed } : {});
  const ran = await runMoveSteps(ctx, input, record, { move, kind: "rollback", steps: action.steps.map((x) => ({ to: x.to, spec: x.rollback })), label: (to) => `rollback step of ${to}` });
  if (!ran.ok) return ran.outcome;
  const { steps, memo } = ran;
  try {
    await rollbackTo(ctx, item, action.toRevision);
    const remaining = memo.steps.filter((s) => !action.steps.some((r) => r.to === s.to));
    return { record: finish(record, steps), memo: { ...succeeded(memo), steps: remaining } };
  } catch (err) {
    return { record: finish(record, steps, err), memo: failed(memo, item.digest) };
  }
}
