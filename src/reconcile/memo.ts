// berth's memory of a release, kept in a ConfigMap beside it on the cluster
// (so a restarted berth or another replica has it): retry state, suspension,
// the move under way, the steps it ran, and the history of every action. Step
// logs are not in it: they live in a Secret (adapters/kube/step-logs.ts).
import type { ReleaseMemo } from "../plan/observed.ts";
import { emptyMemo } from "../plan/observed.ts";
import type { ActionKind, AdoptMode } from "../plan/action.ts";
import { allOf } from "../enum.ts";
import type { Actor } from "./actor.ts";

export interface StepRecord {
  kind: "run" | "rollback";
  to: string; // the upgrade step's target version
  job: string;
  succeeded: boolean;
  /** Only in a history read with the logs (from the release's step-logs Secret); never stored in the memo. */
  logs?: string;
  message: string;
}

/** adopt: the release berth took over, as it found it. */
export interface AdoptedRecord {
  mode: AdoptMode;
  /** The revision berth found (the newest deployed one, else the newest). */
  revision: number;
  status: string;
  /** The chart that revision ran, from Helm's storage. */
  chart?: { name: string; version: string };
  /** label: the revisions that got berth's labels. */
  labelled?: number[];
  /** replace: the Secret beside the release holding its old manifest and values (never the memo, never a log). */
  kept?: string;
  /** replace: the old manifest or values were longer than berth keeps, and were cut. */
  truncated?: true;
  /** replace: the old release was uninstalled, so the next action installs fresh. */
  uninstalled?: true;
}

/** install/upgrade: the chart's CRDs berth wrote before helm ran (reconcile/crds.ts). */
export interface CrdChanges {
  created: string[];
  replaced: string[];
}

/**
 * What a record names: a planned action that changes the cluster, a correction of drift found between loops,
 * a rollout restart someone asked for (reconcile/inspect.ts), a reconcile someone asked for now (sync), or the
 * lifting of a manual rollback's suspension (resume).
 */
export type RecordKind = Exclude<ActionKind, "none" | "blocked"> | "correct-drift" | "restart" | "sync" | "resume";

/** Every kind a record can hold, for the API's schema; the compiler holds it to RecordKind. */
export const RECORD_KINDS = allOf<RecordKind>()(["install", "adopt", "upgrade", "rollback", "remediate", "unlock", "uninstall", "correct-drift", "restart", "sync", "resume"]);

/**
 * Kinds that record what someone asked for, not a change to the release: a
 * release's last action and last error (status) pass over them, so asking for
 * a sync does not make a failed release look fine before the pass has run.
 */
export const REQUEST_KINDS: ReadonlySet<RecordKind> = new Set<RecordKind>(["sync", "resume"]);

/** The newest record of a change to the release (not a request; see REQUEST_KINDS). */
export const lastChange = (records: readonly ActionRecord[]): ActionRecord | undefined => records.findLast((r) => !REQUEST_KINDS.has(r.action));

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
  /** restart: the workloads whose pod template it stamped, as `Kind/name` (the failed ones in `error`). */
  restarted?: string[];
  /** Why, when the version alone does not say it: a chart re-pushed under the same version. */
  reason?: string;
  /** install/upgrade of a third-party chart: the content digest applied. */
  chartDigest?: string;
  /** adopt: what was taken over and how. */
  adopted?: AdoptedRecord;
  /** install/upgrade of a chart with crds/: the CRDs created or replaced (absent when none). */
  crds?: CrdChanges;
  /** Who asked for it through the API (a token's name and role); absent for the reconcile loop's own actions. */
  actor?: Actor;
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
