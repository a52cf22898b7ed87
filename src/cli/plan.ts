import type { RegisterCommand } from "./index.ts";
import { describeAction } from "../plan/action.ts";
import { planView } from "../reconcile/views.ts";
import { EXIT } from "./exit.ts";
import { addSourceFlags, openFromFlags, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import { failIfNoRevision } from "./report.ts";

export const registerPlan: RegisterCommand = (program, ctx) => {
  addSourceFlags(program.command("plan"))
    .description("show what reconcile would do on each cluster; changes nothing")
    .option("--cluster <NAME>", "only this cluster")
    .option("--output <FORMAT>", "text or json", "text")
    .action(async (f: SourceFlags & { output: string }) => {
      const source = await openFromFlags(f, ctx.cwd);
      try {
        const report = await reconcilerFromFlags(f, source, ctx.log).runOnce({ dryRun: true });
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
        await source.close();
      }
    });
};
