// `berth drift`: compare each release's live objects with what Helm applied.
// Reports only, unless --correct; exit 3 when drift was found (like diff).
import type { RegisterCommand } from "./index.ts";
import { BerthError } from "../errors.ts";
import { formatDrift } from "../reconcile/drift.ts";
import type { DriftRun } from "../reconcile/loop.ts";
import { EXIT } from "./exit.ts";
import { addProgressFlags, progressFor, type ProgressFlags } from "./progress.ts";
import { addSourceFlags, openFromFlags, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import { outputOption } from "./report.ts";

export const registerDrift: RegisterCommand = (program, ctx) => {
  addProgressFlags(addSourceFlags(program.command("drift")), ctx.env)
    .description("list fields of live objects that differ from what Helm applied; --correct re-applies them")
    .option("--cluster <NAME>", "only this cluster")
    .option("--correct", "re-apply drifted objects (server-side apply) whatever each application's drift policy says")
    .addOption(outputOption())
    .action(async (f: SourceFlags & ProgressFlags & { correct?: boolean; output: string }) => {
      const progress = progressFor(f, ctx, "drift");
      const source = await openFromFlags(f, ctx.cwd);
      try {
        const run = await reconcilerFromFlags(f, source, ctx.log, progress.sink ? { progress: progress.sink } : {}).checkDrift({ policy: f.correct ? "correct" : "report" });
        progress.end();
        if (run.error) throw new BerthError("GIT_FAILED", `${run.error}; nothing was checked`);
        ctx.stdout.write(f.output === "json" ? `${JSON.stringify(run, null, 2)}\n` : formatDriftRun(run));
        if (run.reports.some((r) => r.error && r.corrected === undefined) || run.reports.some((r) => r.corrected === "failed")) ctx.setExitCode(EXIT.invalid);
        else if (run.reports.some((r) => r.count > 0)) ctx.setExitCode(EXIT.changes);
      } finally {
        progress.end();
        await source.close();
      }
    });
};

export function formatDriftRun(run: DriftRun): string {
  const lines = [`revision ${run.revision ?? "-"}`];
  for (const r of run.reports) {
    const state = r.error && r.corrected === undefined ? `ERROR: ${r.error}` : r.count === 0 ? "no drift" : `${r.count} drifted${r.corrected ? `, correction ${r.corrected}` : ""}`;
    lines.push(`${r.cluster}/${r.release}${r.revision ? ` (revision ${r.revision})` : ""}: ${state}`);
    for (const o of r.drifted) for (const l of formatDrift(o)) lines.push(`  ${l}`);
    if (r.corrected === "failed" && r.error) lines.push(`  ${r.error}`);
  }
  return `${lines.join("\n")}\n`;
}
