// A move to a lower version: the rollback steps of the crossed upgrades, newest
// first, then `helm rollback` to the revision that ran the target version.
import type { Action } from "../plan/action.ts";
import type { ActionContext } from "./context.ts";
import type { StepRecord } from "./memo.ts";
import { beginMove, endMove } from "./move.ts";
import { failed, finish, startRecord, succeeded, type ActInput, type ActionOutcome } from "./outcome.ts";
import { runStep } from "./run-step.ts";

export async function rollbackRelease(ctx: ActionContext, input: ActInput, action: Extract<Action, { kind: "rollback" }>): Promise<ActionOutcome> {
  const { item } = input;
  const record = startRecord(ctx, item, "rollback", action.from, action.to);
  const steps: StepRecord[] = [];
  // As in applyRelease: written before the first Job, kept only when a step could not be watched to its end.
  const move = beginMove(input.memo, { digest: item.digest ?? "manual", action: "rollback", from: action.from, to: action.to }, item.observed ? { observed: item.observed } : {});
  const memo = endMove(input.memo);
  const inMove = { ...input.memo, move };
  try {
    if (action.steps.length) await input.persist(inMove);
  } catch (err) {
    const e = new Error(`cannot record the move on the cluster before running its steps, so none ran: ${(err as Error).message}`);
    return { record: finish(record, steps, e), memo: failed(memo, item.digest) };
  }
  for (const s of action.steps) {
    let rec: StepRecord;
    try {
      rec = await runStep(ctx, { release: item.name, namespace: item.namespace, kind: "rollback", to: s.to, step: s.rollback, move: move.id });
    } catch (err) {
      const e = new Error(`rollback step of ${s.to} could not be run or watched to its end: ${(err as Error).message}`);
      return { record: finish(record, steps, e), memo: failed(inMove, item.digest) };
    }
    steps.push(rec);
    if (!rec.succeeded) {
      const e = new Error(`rollback step of ${s.to} (job ${rec.job}) failed: ${rec.message}`);
      return { record: finish(record, steps, e), memo: failed(memo, item.digest) };
    }
  }
  try {
    await ctx.helm.rollback({
      release: item.name,
      namespace: item.namespace,
      revision: action.toRevision,
      timeoutMs: ctx.helmTimeoutMs,
      ...(ctx.maxHistory !== undefined ? { maxHistory: ctx.maxHistory } : {}),
    });
    const remaining = memo.steps.filter((s) => !action.steps.some((r) => r.to === s.to));
    return { record: finish(record, steps), memo: { ...succeeded(memo), steps: remaining } };
  } catch (err) {
    return { record: finish(record, steps, err), memo: failed(memo, item.digest) };
  }
}
