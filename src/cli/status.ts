import type { RegisterCommand } from "./index.ts";
import { formatStatus } from "../reconcile/status.ts";
import { addSourceFlags, openFromFlags, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";

export const registerStatus: RegisterCommand = (program, ctx) => {
  addSourceFlags(program.command("status"))
    .description("per cluster and release: desired vs deployed version, health, last action, last error")
    .option("--cluster <NAME>", "only this cluster")
    .option("--output <FORMAT>", "text or json", "text")
    .action(async (f: SourceFlags & { output: string }) => {
      const source = await openFromFlags(f, ctx.cwd);
      try {
        const { status, blocked } = await reconcilerFromFlags(f, source, ctx.log).snapshot();
        if (f.output === "json") {
          ctx.stdout.write(`${JSON.stringify({ ...status, blocked: Object.fromEntries(blocked) }, null, 2)}\n`);
        } else {
          ctx.stdout.write(formatStatus(status, blocked));
        }
      } finally {
        await source.close();
      }
    });
};
