// What a person does by hand to one release: read its history, roll it back
// to a Helm revision (running the rollback steps of the versions it crosses,
// and suspending automatic reconciliation), resume it. The CLI and the API's
// actions call these alike; each is recorded in the release's history, with
// who asked when it came through the API.
import semver from "semver";
import { BerthError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { releaseDigest } from "../plan/digest.ts";
import type { ReleaseMemo } from "../plan/observed.ts";
import { rollbackSteps } from "../plan/semver-path.ts";
import type { ReleaseSpec, StepSpec } from "../model/types.ts";
import type { Actor } from "./actor.ts";
import type { ClusterTarget } from "./cluster.ts";
import { withActing } from "./context.ts";
import { readBook, writeBook, type ActionRecord, type ReleaseBook, type StepRecord } from "./memo.ts";
import { beginMove, endMove } from "./move.ts";
import { runStep, stepSecurity } from "./run-step.ts";

export interface FoundRelease {
  namespace: string;
  name: string;
  book: ReleaseBook;
}

/**
 * The release `name` berth owns on the cluster. Names are unique per namespace
 * only: `namespace` picks one, else the namespace git places it in now
 * (`desiredNamespace`), else the name must be unambiguous.
 */
export async function findRelease(target: ClusterTarget, name: string, namespace?: string, desiredNamespace?: string): Promise<FoundRelease> {
  const [observed, memos] = await Promise.all([target.kube.listReleases(), target.kube.listMemos()]);
  const candidates = new Set<string>();
  for (const o of observed) if (o.name === name && o.managed && (!namespace || o.namespace === namespace)) candidates.add(o.namespace);
  for (const k of memos.keys()) {
    const [ns, rel] = k.split("/") as [string, string];
    if (rel === name && (!namespace || ns === namespace)) candidates.add(ns);
  }
  if (candidates.size === 0) {
    const known = [...new Set(observed.filter((o) => o.managed).map((o) => o.name))].sort().join(", ");
    throw new BerthError("INVALID_INPUT", `no release ${name} managed by berth on cluster ${target.name}${known ? `; it has ${known}` : ""}`);
  }
  if (candidates.size > 1 && desiredNamespace && candidates.has(desiredNamespace)) {
    return { namespace: desiredNamespace, name, book: readBook(memos.get(`${desiredNamespace}/${name}`)) };
  }
  if (candidates.size > 1) {
    throw new BerthError("INVALID_INPUT", `release ${name} exists in several namespaces on cluster ${target.name} (${[...candidates].join(", ")}); give --namespace`);
  }
  const ns = [...candidates][0]!;
  return { namespace: ns, name, book: readBook(memos.get(`${ns}/${name}`)) };
}

export interface ManualRollbackOptions {
  log: Logger;
  /** Bound of a rollback step's Job that declares no timeoutSeconds. */
  stepTimeoutMs?: number;
  /** Who asked (the API token's name and role), kept in the record. */
  actor?: Actor;
}

/**
 * The rollback steps a manual rollback from `from` to `to` runs: those of every
 * upgrade crossed, from git and from what berth remembers running, newest
 * first. A crossed upgrade whose rollback is found nowhere refuses the move,
 * rather than leaving the data on the newer version's migration.
 */
export function manualRollbackSteps(desired: ReleaseSpec | undefined, memo: ReleaseMemo, from: string | undefined, to: string | undefined, release: string): Array<{ to: string; rollback: StepSpec }> {
  if (!from || !to || !semver.valid(from) || !semver.valid(to) || semver.gte(to, from)) return [];
  const known = [...(desired?.upgrades ?? []), ...memo.steps];
  const steps = rollbackSteps(known, from, to);
  const missing = [...new Set(known.filter((s) => semver.gt(s.to, to) && semver.lte(s.to, from)).map((s) => s.to))].filter((v) => !steps.some((s) => s.to === v));
  if (missing.length) {
    throw new BerthError(
      "INVALID_INPUT",
      `cannot roll ${release} back from ${from} to ${to}: the upgrade step${missing.length > 1 ? "s" : ""} to ${missing.sort(semver.compare).join(", ")} ` +
        `${missing.length > 1 ? "have" : "has"} no rollback step in git or in berth's memory of the release; declare \`rollback:\` on ${missing.length > 1 ? "them" : "it"} ` +
        `in the Component's upgrades (or undo the migration yourself and roll back with helm)`,
    );
  }
  return steps;
}

export async function manualRollback(
  target: ClusterTarget,
  desired: ReleaseSpec | undefined,
  rel: FoundRelease,
  revision: number,
  commit: string,
  timeoutMs: number,
  opts: ManualRollbackOptions,
): Promise<ReleaseBook> {
  const observed = await target.kube.getRelease(rel.namespace, rel.name);
  const rev = observed?.revisions.find((r) => r.revision === revision);
  if (!rev) {
    const have = observed?.revisions.map((r) => `${r.revision} (${r.version ?? "?"}, ${r.status})`).join(", ") ?? "none";
    throw new BerthError("INVALID_INPUT", `release ${rel.name} on cluster ${target.name} has no revision ${revision}; it has ${have}`);
  }
  const started = new Date();
  const from = observed?.revisions.at(-1)?.version;
  // Refused before anything changes when a crossed step's rollback is unknown.
  const plan = manualRollbackSteps(desired, rel.book.memo, from, rev.version, rel.name);
  // A Project that impersonates rolls back as that identity (helm and the steps), as a reconcile would.
  const who = desired?.project?.impersonate;
  if (who && !target.as) {
    throw new BerthError("ACTION_FAILED", `release ${rel.name} belongs to Project ${desired!.project!.name}, which acts as ${who.user}, and berth's clients for cluster ${target.name} cannot impersonate; nothing was changed`);
  }
  const acting = who ? target.as!(who) : undefined;
  const actingKube = acting ? withActing(target.kube, acting.kube) : target.kube;
  const helm = acting?.helm ?? target.helm;
  const move = beginMove(rel.book.memo, { digest: `manual-rollback:${revision}`, action: "rollback", ...(from ? { from } : {}), to: rev.version ?? `revision ${revision}` }, observed ? { observed } : {});
  let memo = endMove(rel.book.memo);
  const steps: StepRecord[] = [];
  let error: string | undefined;
  if (plan.length) await target.kube.writeMemo(rel.namespace, rel.name, writeBook({ ...rel.book, memo: { ...rel.book.memo, move } }));
  const ctx = { kube: actingKube, log: opts.log, stepTimeoutMs: opts.stepTimeoutMs ?? 600_000 };
  const security = stepSecurity(desired);
  try {
    for (const s of plan) {
      const rec = await runStep(ctx, { release: rel.name, namespace: rel.namespace, kind: "rollback", to: s.to, step: s.rollback, move: move.id, ...(security ? { security } : {}) }).catch((err: unknown) => {
        // Not watched to its end: the move stays, so running the command again waits on the same Job.
        memo = { ...memo, move };
        throw err;
      });
      steps.push(rec);
      if (!rec.succeeded) throw new Error(`rollback step of ${s.to} (job ${rec.job}) failed: ${rec.message}; the release was not rolled back`);
    }
    await helm.rollback({ release: rel.name, namespace: rel.namespace, revision, timeoutMs, ...(target.maxHistory !== undefined ? { maxHistory: target.maxHistory } : {}) });
    memo = { ...memo, steps: memo.steps.filter((k) => !plan.some((s) => s.to === k.to)) };
  } catch (err) {
    error = (err as Error).message;
  }
  const after = await target.kube.getRelease(rel.namespace, rel.name);
  const book: ReleaseBook = {
    // Suspended against what git asks for now: a new commit that changes the release lifts it.
    memo: { ...memo, ...(desired ? { suspendedDigest: releaseDigest(desired) } : { suspendedDigest: "manual" }) },
    records: [
      ...rel.book.records,
      {
        at: started.toISOString(),
        commit,
        cluster: target.name,
        release: rel.name,
        namespace: rel.namespace,
        ...(desired?.application ? { application: desired.application } : {}),
        action: "rollback",
        ...(from ? { fromVersion: from } : {}),
        ...(rev.version ? { toVersion: rev.version } : {}),
        steps,
        result: error ? "failed" : "succeeded",
        ...(error ? { error } : {}),
        ...(after?.revisions.at(-1) ? { helmRevision: after.revisions.at(-1)!.revision } : {}),
        durationMs: Date.now() - started.getTime(),
        ...(opts.actor ? { actor: opts.actor } : {}),
      },
    ],
  };
  await target.kube.writeMemo(rel.namespace, rel.name, writeBook(book));
  if (error) throw new BerthError("ACTION_FAILED", `rollback of ${rel.name} to revision ${revision} failed: ${error}`);
  return book;
}

export interface ResumeOptions {
  /** The revision berth reads now, kept in the record. */
  commit: string;
  /** The release's application, when git declares it. */
  application?: string;
  /** Who asked (the API token's name and role). */
  actor?: Actor;
}

/**
 * Lifts the suspension a manual rollback set and resets the retry count, so
 * the next reconcile brings the release back to git; recorded (kind resume)
 * in the same write.
 */
export async function resume(target: ClusterTarget, rel: FoundRelease, o: ResumeOptions): Promise<ActionRecord> {
  const { suspendedDigest, ...memo } = rel.book.memo;
  const record: ActionRecord = {
    at: new Date().toISOString(),
    commit: o.commit,
    cluster: target.name,
    release: rel.name,
    namespace: rel.namespace,
    ...(o.application ? { application: o.application } : {}),
    action: "resume",
    steps: [],
    result: "succeeded",
    durationMs: 0,
    reason: suspendedDigest
      ? "the suspension set by a manual rollback is lifted: the next reconcile brings the release back to git"
      : "it was not suspended; its retry count is reset, so the next reconcile acts on it again",
    ...(o.actor ? { actor: o.actor } : {}),
  };
  await target.kube.writeMemo(rel.namespace, rel.name, writeBook({ memo: { ...memo, failures: 0 }, records: [...rel.book.records, record] }));
  return record;
}
