// Shared bookkeeping of actions: the record and the memo update.
import type { ReleaseMemo, RememberedStep } from "../plan/observed.ts";
import type { UpgradeStep } from "../model/types.ts";
import type { PlannedRelease } from "../plan/plan.ts";
import type { ActionContext } from "./context.ts";
import type { ActionRecord, RecordKind, StepRecord } from "./memo.ts";

export interface ActionOutcome {
  record: ActionRecord;
  memo: ReleaseMemo;
  /** Set when the action was refused before it changed anything (e.g. outside its Project): the release is blocked for this reason. */
  blocked?: string;
}

export interface ActInput {
  item: PlannedRelease;
  memo: ReleaseMemo;
  /** Whether the release's application prunes (stored on the release as a label). */
  prune: boolean;
  /** Writes the memo (beside the records so far) on the cluster: a move is written before its first step Job. */
  persist(memo: ReleaseMemo): Promise<void>;
}

export function startRecord(ctx: ActionContext, item: PlannedRelease, action: RecordKind, from?: string, to?: string): ActionRecord {
  return {
    at: new Date().toISOString(),
    commit: ctx.commit,
    cluster: ctx.cluster,
    release: item.name,
    namespace: item.namespace,
    ...(item.application ? { application: item.application } : {}),
    action,
    ...(from ? { fromVersion: from } : {}),
    ...(to ? { toVersion: to } : {}),
    steps: [],
    result: "succeeded",
    durationMs: 0,
  };
}

export function finish(record: ActionRecord, steps: StepRecord[], error?: unknown): ActionRecord {
  const durationMs = Date.now() - Date.parse(record.at);
  if (error === undefined) return { ...record, steps, durationMs };
  const message = error instanceof Error ? error.message : String(error);
  return { ...record, steps, durationMs, result: "failed", error: message };
}

export function succeeded(memo: ReleaseMemo, ran: UpgradeStep[] = []): ReleaseMemo {
  const steps: RememberedStep[] = [...memo.steps];
  for (const s of ran) {
    if (!steps.some((k) => k.to === s.to)) steps.push({ from: s.from, to: s.to, ...(s.rollback ? { rollback: s.rollback } : {}) });
  }
  const { failedDigest: _f, lastFailureAt: _l, lastError: _e, ...rest } = memo;
  return { ...rest, failures: 0, steps };
}

export function failed(memo: ReleaseMemo, digest: string | undefined): ReleaseMemo {
  const failures = memo.failedDigest === digest ? memo.failures + 1 : 1;
  return { ...memo, failures, ...(digest ? { failedDigest: digest } : {}), lastFailureAt: new Date().toISOString() };
}
