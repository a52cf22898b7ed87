// install and upgrade: the declared steps on the semver path, the chart's
// CRDs by the entry's policy (crds.ts), then `helm upgrade --install --wait`;
// a failure is remediated at once.
import { LABELS } from "../model/labels.ts";
import { versionToLabel } from "../plan/digest.ts";
import type { Action } from "../plan/action.ts";
import { lastGoodRevision } from "../plan/state.ts";
import { isPending, type ReleaseMemo } from "../plan/observed.ts";
import type { ChartIdentity } from "../model/types.ts";
import { rollbackTo, type ActionContext } from "./context.ts";
import { applyChartCrds, crdPolicy } from "./crds.ts";
import type { ActionRecord, CrdChanges, StepRecord } from "./memo.ts";
import { beginMove } from "./move.ts";
import { runMoveSteps } from "./move-steps.ts";
import { failed, finish, startRecord, succeeded, type ActInput, type ActionOutcome } from "./outcome.ts";
import { refuseOutsideProject } from "./project-check.ts";
import { runStep, stepSecurity } from "./run-step.ts";

type Apply = Extract<Action, { kind: "install" | "upgrade" }>;

export async function applyRelease(ctx: ActionContext, input: ActInput, action: Apply): Promise<ActionOutcome> {
  const { item } = input;
  const desired = item.desired!;
  const from = action.kind === "upgrade" ? action.from : undefined;
  const record = startRecord(ctx, item, action.kind, from, action.to);
  // A Project's release is rendered and checked first: what leaves the Project runs no step and no upgrade.
  const refused = await refuseOutsideProject(ctx, input, action, record);
  if (refused) return refused;
  const move = beginMove(input.memo, { digest: item.digest!, action: action.kind, ...(from ? { from } : {}), to: action.to }, item.observed ? { observed: item.observed } : {});
  const ran = await runMoveSteps(ctx, input, record, { move, kind: "run", steps: action.steps.map((x) => ({ to: x.to, spec: x.run })), label: (to) => `upgrade step to ${to}` });
  if (!ran.ok) return ran.outcome;
  const { steps, memo } = ran;

  const crds: CrdChanges = { created: [], replaced: [] };
  let helmCalled = false;
  try {
    // after the steps (a backup runs before a CRD's schema changes), before helm (its objects may need the new kinds)
    await applyChartCrds(ctx, desired, crds);
    helmCalled = true;
    await ctx.helm.upgradeInstall({
      release: item.name,
      namespace: item.namespace,
      chartDir: await ctx.chartDir(desired.chart),
      values: desired.values,
      labels: {
        [LABELS.managed]: "true",
        [LABELS.digest]: item.digest!,
        [LABELS.version]: versionToLabel(desired.component.version),
        [LABELS.application]: desired.application,
        [LABELS.prune]: String(input.prune),
      },
      timeoutMs: ctx.helmTimeoutMs,
      ...(ctx.maxHistory !== undefined ? { maxHistory: ctx.maxHistory } : {}),
      ...(crdPolicy(desired) === "skip" ? { skipCrds: true } : {}),
    });
    return { record: finish(withChart(withCrds(record, crds), input.memo, desired.chart, action), steps), memo: withChartDigest(succeeded(memo, action.steps), desired.chart.digest) };
  } catch (err) {
    ctx.log.warn({ release: item.name, err: (err as Error).message }, `${action.kind} failed; remediating`);
    // read before remediation: an uninstall takes the controllers whose Events say why pods never came
    const refused = helmCalled ? await refusedPods(ctx, item, new Date(record.at)) : "";
    const remediation = await remediateFailedApply(ctx, input, action, move.id, steps, helmCalled);
    const what = helmCalled ? "" : "the chart's CRDs: ";
    const msg = `${what}${(err as Error).message}${refused}${remediation ? `; ${remediation}` : ""}`;
    return { record: finish(withCrds(record, crds), steps, new Error(msg)), memo: failed(memo, item.digest) };
  }
}

/** `; the API server refused its pods: <Kind> <name>: <message>` when a controller of the release could not create them. */
async function refusedPods(ctx: ActionContext, item: { name: string; namespace: string }, since: Date): Promise<string> {
  const found = await ctx.kube.podRefusals(item.namespace, item.name, since).catch(() => []);
  return found.length ? `; the API server refused its pods: ${found.join("; ")}` : "";
}

const withCrds = (record: ActionRecord, crds: CrdChanges): ActionRecord =>
  crds.created.length || crds.replaced.length ? { ...record, crds } : record;

/**
 * Back to the last good revision (running the rollback steps of what ran), or
 * uninstall a failed first install. When helm never ran (the CRDs failed),
 * only the rollback steps run: the release is as it was.
 */
async function remediateFailedApply(ctx: ActionContext, input: ActInput, action: Apply, move: string, steps: StepRecord[], helmCalled: boolean): Promise<string> {
  const { item } = input;
  const security = stepSecurity(item.desired);
  try {
    for (const s of [...action.steps].reverse()) {
      if (!s.rollback) continue;
      const rec = await runStep(ctx, { release: item.name, namespace: item.namespace, kind: "rollback", to: s.to, step: s.rollback, move, ...(security ? { security } : {}) });
      steps.push(rec);
      if (!rec.succeeded) return `rollback step to ${s.to} failed (${rec.message}); release left for the next loop`;
    }
    if (!helmCalled) return action.steps.some((s) => s.rollback) ? "helm did not run; the rollback steps ran" : "";
    // A helm that was killed past its timeout leaves the release pending: mark it failed first, or helm refuses to act.
    const now = await ctx.kube.getRelease(item.namespace, item.name);
    const latest = now?.revisions.at(-1);
    if (latest && isPending(latest.status)) await ctx.kube.markRevisionFailed(item.namespace, item.name, latest.revision);
    const good = now ? lastGoodRevision(now) : undefined;
    if (good) {
      await rollbackTo(ctx, item, good.revision);
      return `rolled back to revision ${good.revision}${good.version ? ` (${good.version})` : ""}`;
    }
    // helm may have failed before it stored anything (a name another release owns): nothing to uninstall
    if (!now || now.revisions.length === 0) return "helm stored no release, so there was nothing to uninstall";
    await ctx.helm.uninstall({ release: item.name, namespace: item.namespace, timeoutMs: ctx.helmTimeoutMs });
    return "the failed first install was uninstalled";
  } catch (err) {
    return `remediation failed too: ${(err as Error).message}`;
  }
}

/** A third-party chart's digest on the record, and why when the version stayed but the content moved. */
function withChart(record: ActionRecord, memo: ReleaseMemo, chart: ChartIdentity, action: Apply): ActionRecord {
  if (!chart.source || !chart.digest) return record;
  const before = memo.chartDigest;
  const repushed = action.kind === "upgrade" && action.from === action.to && before !== undefined && before !== chart.digest;
  return {
    ...record,
    chartDigest: chart.digest,
    ...(repushed ? { reason: `chart ${chart.name} ${chart.version} was re-pushed with other content (${before.slice(0, 19)}… -> ${chart.digest.slice(0, 19)}…)` } : {}),
  };
}

const withChartDigest = (memo: ReleaseMemo, digest: string | undefined): ReleaseMemo => (digest ? { ...memo, chartDigest: digest } : memo);
