// One release, one attempt: act, observe again, decide again, until nothing is
// left to do — never the same action twice in one attempt (helm-controller's
// atomic release loop).
import { describeAction, type Action, type ActionKind } from "../plan/action.ts";
import type { RetryPolicy } from "../plan/decide.ts";
import { replanRelease, type PlannedRelease } from "../plan/plan.ts";
import { adopt } from "./adopt.ts";
import type { ActionContext } from "./context.ts";
import { writeBook, type ActionRecord, type ReleaseBook } from "./memo.ts";
import type { ActInput, ActionOutcome } from "./outcome.ts";
import { remediate } from "./remediate.ts";
import { rollbackRelease } from "./rollback.ts";
import { uninstall } from "./uninstall.ts";
import { unlock } from "./unlock.ts";
import { applyRelease } from "./upgrade.ts";

export type ReleaseOutcome = "unchanged" | "applied" | "failed" | "blocked";

export interface ReleaseResult {
  name: string;
  namespace: string;
  application?: string;
  outcome: ReleaseOutcome;
  reason: string;
  final: PlannedRelease;
  records: ActionRecord[];
}

const MAX_ACTIONS = 6;

async function act(ctx: ActionContext, input: ActInput, a: Action): Promise<ActionOutcome> {
  switch (a.kind) {
    case "install":
    case "upgrade":
      return applyRelease(ctx, input, a);
    case "adopt":
      return adopt(ctx, input, a);
    case "rollback":
      return rollbackRelease(ctx, input, a);
    case "remediate":
      return remediate(ctx, input, a);
    case "unlock":
      return unlock(ctx, input);
    case "uninstall":
      return uninstall(ctx, input);
    case "none":
    case "blocked":
      throw new Error(`nothing to act on for ${a.kind}`);
  }
}

export interface ReleaseRunOptions {
  book: ReleaseBook;
  prune: boolean;
  retry?: RetryPolicy;
}

export async function reconcileRelease(ctx: ActionContext, first: PlannedRelease, opts: ReleaseRunOptions): Promise<ReleaseResult> {
  let item = first;
  let book = opts.book;
  // A change in git lifts a suspension set by `berth rollback`.
  if (book.memo.suspendedDigest && item.digest && book.memo.suspendedDigest !== item.digest) {
    const { suspendedDigest: _s, ...memo } = book.memo;
    book = { ...book, memo: { ...memo } };
    item = replanRelease(item, { observed: item.observed, memo: book.memo, now: Date.now(), ...(opts.retry ? { retry: opts.retry } : {}) });
  }
  const done = new Set<ActionKind>();
  const records: ActionRecord[] = [];
  const result = (outcome: ReleaseOutcome, reason: string): ReleaseResult => ({
    name: item.name,
    namespace: item.namespace,
    ...(item.application ? { application: item.application } : {}),
    outcome,
    reason,
    final: item,
    records,
  });
  const log = ctx.log.child({ cluster: ctx.cluster, application: item.application, release: item.name });

  for (let i = 0; i < MAX_ACTIONS; i++) {
    const a = item.action;
    if (a.kind === "none" || a.kind === "blocked") {
      const outcome: ReleaseOutcome = a.kind === "blocked" ? "blocked" : records.length ? "applied" : "unchanged";
      return result(outcome, a.reason);
    }
    if (done.has(a.kind)) return result("failed", `would ${a.kind} a second time in one attempt; stopped`);
    done.add(a.kind);

    const persist = (memo: ReleaseBook["memo"]) => ctx.kube.writeMemo(item.namespace, item.name, writeBook({ ...book, memo }));
    const out = await act(ctx, { item, memo: book.memo, prune: opts.prune, persist }, a);
    const observed = await ctx.kube.getRelease(item.namespace, item.name);
    const revision = observed?.revisions.at(-1)?.revision;
    const record: ActionRecord = { ...out.record, ...(revision !== undefined && out.record.helmRevision === undefined ? { helmRevision: revision } : {}) };
    records.push(record);
    // a failed attempt keeps its reason in the memo, so a release waiting to retry (or given up) says why
    const memo = record.result === "failed" && record.error && out.memo.failures > 0 && out.memo.failedDigest === item.digest ? { ...out.memo, lastError: record.error.slice(0, 1000) } : out.memo;
    book = { memo, records: [...book.records, record] };
    await ctx.kube.writeMemo(item.namespace, item.name, writeBook(book));
    log[record.result === "succeeded" ? "info" : "warn"](
      {
        action: record.action,
        revision: ctx.commit,
        helmRevision: record.helmRevision,
        from: record.fromVersion,
        to: record.toVersion,
        steps: record.steps.map((s) => `${s.kind}:${s.to}:${s.succeeded ? "ok" : "failed"}`),
        durationMs: record.durationMs,
        result: record.result,
        ...(record.error ? { error: record.error } : {}),
      },
      describeAction(a),
    );
    if (out.blocked) return result("blocked", out.blocked);
    if (record.result === "failed") return result("failed", record.error ?? "failed");
    item = replanRelease(item, { observed, memo: book.memo, now: Date.now(), ...(opts.retry ? { retry: opts.retry } : {}) });
  }
  return result("failed", `still not in sync after ${MAX_ACTIONS} actions`);
}
