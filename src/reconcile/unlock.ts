// A release left pending-* by an interrupted berth: mark that revision failed
// in Helm's storage so that it can be remediated, as helm-controller's unlock.
import type { ActionContext } from "./context.ts";
import { finish, startRecord, type ActInput, type ActionOutcome } from "./outcome.ts";

export async function unlock(ctx: ActionContext, input: ActInput): Promise<ActionOutcome> {
  const { item, memo } = input;
  const record = startRecord(ctx, item, "unlock");
  const latest = item.observed?.revisions.at(-1);
  try {
    if (!latest) throw new Error("no revision to unlock");
    await ctx.kube.markRevisionFailed(item.namespace, item.name, latest.revision);
    return { record: { ...finish(record, []), helmRevision: latest.revision }, memo };
  } catch (err) {
    return { record: finish(record, [], err), memo };
  }
}
