// A move to a lower version: the rollback steps of the crossed upgrades, newest
// first, then `helm rollback` to the revision that ran the target version.
import type { Action } from "../plan/action.ts";
import type { ActionContext } from "./context.ts";
import type { StepRecord } from "./memo.ts";
import { failed, finish, startRecord, succeeded, type ActInput, type ActionOutcome } from "./outcome.ts";
import { runStep } from "./run-step.ts";

export async function rollbackRelease(ctx: ActionContext, input: ActInput, action: Extract<Action, { kind: "rollback" }>): Promise<ActionOutcome> {
  const { item, memo } = input;
  const record = startRecord(ctx, item, "rollback", action.from, action.to);
  const steps: StepRecord[] = [];
  const attempt = `${(item.digest ?? "manual").slice(0, 8)}-${memo.failures}`;
  try {
    for (const s of action.steps) {
      const rec = await runStep(ctx, { release: item.name, namespace: item.namespace, kind: "rollback", to: s.to, step: s.rollback, attempt });
      steps.push(rec);
      if (!rec.succeeded) throw new Error(`rollback step of ${s.to} (job ${rec.job}) failed: ${rec.message}`);
    }
    await ctx.helm.rollback({
      release: item.name,
      namespace: item.namespace,
      revision: action.toRevision,
      timeoutMs: ctx.helmTimeoutMs,
      ...(ctx.maxHistory ? { maxHistory: ctx.maxHistory } : {}),
    });
    const remaining = memo.steps.filter((s) => !action.steps.some((r) => r.to === s.to));
    return { record: finish(record, steps), memo: { ...succeeded(memo), steps: remaining } };
  } catch (err) {
    return { record: finish(record, steps, err), memo: failed(memo, item.digest) };
  }
}
