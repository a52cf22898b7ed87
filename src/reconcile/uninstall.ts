// A release berth owns that git no longer declares, with prune on.
import type { ActionContext } from "./context.ts";
import { finish, startRecord, type ActInput, type ActionOutcome } from "./outcome.ts";

export async function uninstall(ctx: ActionContext, input: ActInput): Promise<ActionOutcome> {
  const { item, memo } = input;
  const record = startRecord(ctx, item, "uninstall", item.observed?.revisions.at(-1)?.version);
  try {
    await ctx.helm.uninstall({ release: item.name, namespace: item.namespace, timeoutMs: ctx.helmTimeoutMs });
    return { record: finish(record, []), memo };
  } catch (err) {
    return { record: finish(record, [], err), memo };
  }
}
