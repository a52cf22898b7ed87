// berth's memory of a release, kept in a ConfigMap beside it on the cluster
// (so a restarted berth or another replica has it): retry state, suspension,
// the move under way, the steps it ran, and the history of every action. Step
// logs are not in it: they live in a Secret (adapters/kube/step-logs.ts).
import type { ReleaseMemo } from "../plan/observed.ts";
import { emptyMemo } from "../plan/observed.ts";
import type { ActionKind } from "../plan/action.ts";

export interface StepRecord {
  kind: "run" | "rollback";
  to: string; // the upgrade step's target version
  job: string;
  succeeded: boolean;
  /** Only in a history read with the logs (from the release's step-logs Secret); never stored in the memo. */
  logs?: string;
  message: string;
}

/** What a record names: a planned action, or a correction of drift found between loops. */
export type RecordKind = ActionKind | "correct-drift";

/** One action berth took on one release. */
export interface ActionRecord {
  at: string; // ISO time the action started
  commit: string;
  cluster: string;
  release: string;
  namespace: string;
  application?: string;
  action: RecordKind;
  fromVersion?: string;
  toVersion?: string;
  steps: StepRecord[];
  result: "succeeded" | "failed";
  error?: string;
  helmRevision?: number;
  durationMs: number;
  /** correct-drift: the drifted fields it restored, as `Kind/name: path`. */
  drifted?: string[];
}

export interface ReleaseBook {
  memo: ReleaseMemo;
  records: ActionRecord[]; // oldest first
}

export const MAX_RECORDS = 50;

/** Records without step logs: what the memo ConfigMap may hold (an older berth stored them there). */
function withoutLogs(records: ActionRecord[]): ActionRecord[] {
  return records.map((r) => ({ ...r, steps: (r.steps ?? []).map(({ logs: _l, ...s }) => s) }));
}

/** Records with each step's logs, by Job name, for a reader allowed to see them. */
export function withStepLogs(records: ActionRecord[], logs: Readonly<Record<string, string>>): ActionRecord[] {
  return records.map((r) => ({ ...r, steps: r.steps.map((s) => (logs[s.job] !== undefined ? { ...s, logs: logs[s.job]! } : s)) }));
}

export function readBook(data: Record<string, string> | undefined): ReleaseBook {
  const parse = <T>(s: string | undefined, fallback: T): T => {
    try {
      return s ? (JSON.parse(s) as T) : fallback;
    } catch {
      return fallback;
    }
  };
  return { memo: { ...emptyMemo(), ...parse(data?.["memo.json"], {}) }, records: withoutLogs(parse(data?.["records.json"], [])) };
}

export function writeBook(book: ReleaseBook): Record<string, string> {
  const records = withoutLogs(book.records.slice(-MAX_RECORDS));
  return { "memo.json": JSON.stringify(book.memo), "records.json": JSON.stringify(records) };
}
