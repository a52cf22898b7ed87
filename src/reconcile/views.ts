// The JSON shapes of a plan and a run, shared by the CLI (--output json) and
// the HTTP API: what each release does and why, never rendered values or step specs.
import { describeAction, type Action, type ActionKind } from "../plan/action.ts";
import type { HelmStatus } from "../plan/observed.ts";
import type { RunReport } from "./loop.ts";

/** An action as the API and --output json show it. */
export interface PublicAction {
  kind: ActionKind;
  description: string;
  from?: string;
  to?: string;
  toRevision?: number;
  /** The versions of the steps it runs. */
  steps?: string[];
  status?: HelmStatus;
  reason?: string;
}

/** The action as the API shows it: what and why, never step specs (their env may carry values). */
export function publicAction(a: Action): PublicAction {
  const base = { kind: a.kind, description: describeAction(a) };
  switch (a.kind) {
    case "install":
      return { ...base, to: a.to };
    case "upgrade":
      return { ...base, ...(a.from ? { from: a.from } : {}), to: a.to, steps: a.steps.map((s) => s.to) };
    case "rollback":
      return { ...base, from: a.from, to: a.to, toRevision: a.toRevision, steps: a.steps.map((s) => s.to) };
    case "remediate":
      return { ...base, ...(a.toRevision ? { toRevision: a.toRevision } : {}) };
    case "unlock":
      return { ...base, status: a.status };
    default:
      return { ...base, reason: a.reason };
  }
}

export function planView(report: RunReport) {
  return {
    ...(report.revision ? { revision: report.revision } : {}),
    ...(report.sourceError ? { sourceError: report.sourceError } : {}),
    ...(report.invalid ? { invalid: report.invalid.issues } : {}),
    clusters: report.clusters.map((c) => ({
      cluster: c.cluster,
      reachable: c.reachable,
      ...(c.error ? { error: c.error } : {}),
      releases: (c.plan?.releases ?? []).map((r) => ({
        name: r.name,
        namespace: r.namespace,
        ...(r.application ? { application: r.application } : {}),
        state: r.state.name,
        reason: r.state.reason,
        action: publicAction(r.action),
        needs: r.needs,
      })),
    })),
    ...(report.rollout?.length ? { rollout: report.rollout } : {}),
  };
}

/** The last run that acted: what each release did, without the desired specs. */
export function runView(report: RunReport) {
  return {
    ...(report.revision ? { revision: report.revision } : {}),
    ...(report.sourceError ? { sourceError: report.sourceError } : {}),
    ...(report.invalid ? { invalid: report.invalid.issues } : {}),
    helmCalls: report.helmCalls,
    durationMs: report.durationMs,
    clusters: report.clusters.map((c) => ({
      cluster: c.cluster,
      reachable: c.reachable,
      ...(c.error ? { error: c.error } : {}),
      ...(c.durationMs !== undefined ? { durationMs: c.durationMs } : {}),
      releases: c.releases.map((r) => ({
        name: r.name,
        namespace: r.namespace,
        ...(r.application ? { application: r.application } : {}),
        outcome: r.outcome,
        reason: r.reason,
        action: r.final.action.kind,
        records: r.records,
      })),
    })),
    ...(report.rollout?.length ? { rollout: report.rollout } : {}),
  };
}

