import type { RegisterCommand } from "./index.ts";
import { formatStatus } from "../reconcile/status.ts";
import { addProgressFlags, progressFor, type ProgressFlags } from "./progress.ts";
import { addSourceFlags, openFromFlags, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import { outputOption } from "./report.ts";

export const registerStatus: RegisterCommand = (program, ctx) => {
  addProgressFlags(addSourceFlags(program.command("status")), ctx.env)
    .description("per cluster and release: desired vs deployed version, health, last action, last error")
    .option("--cluster <NAME>", "only this cluster")
    .addOption(outputOption())
    .action(async (f: SourceFlags & ProgressFlags & { output: string }) => {
      const progress = progressFor(f, ctx, "status");
      const source = await openFromFlags(f, ctx.cwd);
      try {
        const { status, blocked } = await reconcilerFromFlags(f, source, ctx.log, progress.sink ? { progress: progress.sink } : {}).snapshot();
        progress.end();
        if (f.output === "json") {
          ctx.stdout.write(`${JSON.stringify({ ...status, blocked: Object.fromEntries(blocked) }, null, 2)}\n`);
        } else {
          ctx.stdout.write(formatStatus(status, blocked));
        }
      } finally {
        progress.end();
        await source.close();
      }
    });
};
