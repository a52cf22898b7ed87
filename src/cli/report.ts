// Printing a run report, shared by reconcile and plan.
import { BerthError, ValidationError } from "../errors.ts";
import type { RunReport } from "../reconcile/loop.ts";

/** No revision could be fetched or it is invalid: the command fails with that reason (nothing was applied). */
export function failIfNoRevision(report: RunReport): void {
  if (report.invalid) throw new ValidationError(report.invalid.issues);
  if (report.sourceError) throw new BerthError("GIT_FAILED", `${report.sourceError}; nothing was applied`);
}

export function formatReport(report: RunReport): string {
  const lines = [`revision ${report.revision ?? "-"}`];
  for (const c of report.clusters) {
    lines.push(`cluster ${c.cluster}: ${c.reachable ? "reachable" : `UNREACHABLE: ${c.error}`}`);
    for (const r of c.releases) {
      const acts = r.records.map((x) => `${x.action}${x.result === "failed" ? " (failed)" : ""}`).join(", ");
      lines.push(`  ${r.name.padEnd(28)} ${r.outcome.padEnd(9)} ${acts || r.reason}`);
      if (r.outcome === "failed" || r.outcome === "blocked") lines.push(`    ${r.reason}`);
    }
  }
  lines.push(`helm calls: ${report.helmCalls}; ${report.durationMs} ms`);
  return `${lines.join("\n")}\n`;
}

export function reportFailed(report: RunReport): boolean {
  return report.clusters.some((c) => !c.reachable || c.releases.some((r) => r.outcome === "failed"));
}

/** The report as JSON: outcomes and records, never the rendered values. */
export function reportJson(r: RunReport): unknown {
  return {
    revision: r.revision,
    ...(r.sourceError ? { sourceError: r.sourceError } : {}),
    ...(r.invalid ? { invalid: r.invalid.issues } : {}),
    helmCalls: r.helmCalls,
    durationMs: r.durationMs,
    clusters: r.clusters.map((c) => ({
      cluster: c.cluster,
      reachable: c.reachable,
      ...(c.error ? { error: c.error } : {}),
      releases: c.releases.map((x) => ({
        name: x.name,
        namespace: x.namespace,
        application: x.application,
        outcome: x.outcome,
        reason: x.reason,
        action: x.final.action.kind,
        records: x.records,
      })),
    })),
  };
}
