// Printing a run report, shared by reconcile and plan.
import { formatRollout } from "../reconcile/status.ts";
import { Option } from "commander";
import { BerthError, ValidationError } from "../errors.ts";
import type { RunReport } from "../reconcile/loop.ts";

/** `--output text|json` (the choices are what `berth completion` offers). */
export const outputOption = () => new Option("--output <FORMAT>", "text or json").choices(["text", "json"]).default("text");

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
  for (const r of report.rollout ?? []) lines.push(...formatRollout(r));
  lines.push(`helm calls: ${report.helmCalls}; ${report.durationMs} ms`);
  return `${lines.join("\n")}\n`;
}

export function reportFailed(report: RunReport): boolean {
  return report.clusters.some((c) => !c.reachable || c.releases.some((r) => r.outcome === "failed"));
}
