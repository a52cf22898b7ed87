import type { RegisterCommand } from "./index.ts";
import { describeAction } from "../plan/action.ts";
import { planView } from "../reconcile/views.ts";
import { EXIT } from "./exit.ts";
import { addSourceFlags, openFromFlags, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import { addProgressFlags, progressFor, type ProgressFlags } from "./progress.ts";
import { failIfNoRevision, outputOption } from "./report.ts";

export const registerPlan: RegisterCommand = (program, ctx) => {
  addProgressFlags(addSourceFlags(program.command("plan")), ctx.env)
    .description("show what reconcile would do on each cluster; changes nothing")
    .option("--cluster <NAME>", "only this cluster")
    .addOption(outputOption())
    .action(async (f: SourceFlags & ProgressFlags & { output: string }) => {
      const progress = progressFor(f, ctx, "plan");
      const source = await openFromFlags(f, ctx.cwd);
      try {
        const report = await reconcilerFromFlags(f, source, ctx.log, progress.sink ? { progress: progress.sink } : {}).runOnce({ dryRun: true });
        progress.end();
        failIfNoRevision(report);
        if (f.output === "json") {
          ctx.stdout.write(`${JSON.stringify(planView(report), null, 2)}\n`);
          return;
        }
        ctx.stdout.write(`revision ${report.revision}\n`);
        for (const c of report.clusters) {
          ctx.stdout.write(`\ncluster ${c.cluster}${c.reachable ? "" : `: UNREACHABLE: ${c.error}`}\n`);
          for (const r of c.plan?.releases ?? []) {
            const needs = r.needs.length ? `  [after ${r.needs.join(", ")}]` : "";
            ctx.stdout.write(`  ${r.name.padEnd(28)} ${r.state.name.padEnd(10)} ${describeAction(r.action)}${needs}\n`);
          }
        }
        if (report.clusters.some((c) => !c.reachable)) ctx.setExitCode(EXIT.invalid);
      } finally {
        progress.end();
        await source.close();
      }
    });
};
