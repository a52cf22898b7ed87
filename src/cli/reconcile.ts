import type { RegisterCommand } from "./index.ts";
import { UsageError } from "../errors.ts";
import { runWatch } from "../reconcile/watch.ts";
import { EXIT } from "./exit.ts";
import { addProgressFlags, progressFor, type ProgressFlags } from "./progress.ts";
import { addSourceFlags, openFromFlags, positiveInt, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import { failIfNoRevision, formatReport, outputOption, reportFailed } from "./report.ts";
import { runView } from "../reconcile/views.ts";

export const registerReconcile: RegisterCommand = (program, ctx) => {
  addProgressFlags(addSourceFlags(program.command("reconcile")), ctx.env)
    .description("apply the definitions to every cluster, once or continuously")
    .option("--once", "one pass, then exit (1 if anything failed)")
    .option("--watch", "keep reconciling: poll the source and watch a local directory")
    .option("--interval <SECONDS>", "poll interval with --watch", "30")
    .addOption(outputOption())
    .action(async (f: SourceFlags & ProgressFlags & { once?: boolean; watch?: boolean; interval: string; output: string }) => {
      if (Boolean(f.once) === Boolean(f.watch)) throw new UsageError("give exactly one of --once or --watch");
      const progress = progressFor(f, ctx, "reconcile");
      const source = await openFromFlags(f, ctx.cwd);
      const rec = reconcilerFromFlags(f, source, ctx.log, progress.sink ? { progress: progress.sink } : {});
      const print = (r: Awaited<ReturnType<typeof rec.runOnce>>) => {
        progress.end(); // the pass's last frame stays above its report
        if (f.output === "json") {
          ctx.stdout.write(`${JSON.stringify(runView(r))}\n`);
        } else ctx.stdout.write(formatReport(r));
      };
      try {
        if (f.once) {
          const report = await rec.runOnce();
          print(report);
          failIfNoRevision(report);
          if (reportFailed(report)) ctx.setExitCode(EXIT.invalid);
          return;
        }
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        const loop = runWatch(rec, source, {
          intervalMs: positiveInt("--interval", f.interval, 30) * 1000,
          signal: stop.signal,
          onReport: print,
          onError: (err) => {
            progress.end();
            ctx.log.error({ err: (err as Error).message }, "reconcile loop error");
          },
        });
        await loop.done;
      } finally {
        progress.end();
        await source.close();
      }
    });
};
