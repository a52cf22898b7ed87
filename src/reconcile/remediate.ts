// A release found failed: back to its last good revision, or uninstalled when
// its first install failed.
import type { Action } from "../plan/action.ts";
import { rollbackTo, type ActionContext } from "./context.ts";
import { finish, startRecord, type ActInput, type ActionOutcome } from "./outcome.ts";

export async function remediate(ctx: ActionContext, input: ActInput, action: Extract<Action, { kind: "remediate" }>): Promise<ActionOutcome> {
  const { item, memo } = input;
  const record = startRecord(ctx, item, "remediate");
  try {
    if (action.toRevision) {
      await rollbackTo(ctx, item, action.toRevision);
    } else {
      await ctx.helm.uninstall({ release: item.name, namespace: item.namespace, timeoutMs: ctx.helmTimeoutMs });
    }
    return { record: finish(record, []), memo };
  } catch (err) {
    return { record: finish(record, [], err), memo };
  }
}
