import type { RegisterCommand } from "./index.ts";
import { UsageError } from "../errors.ts";
import { runWatch } from "../reconcile/watch.ts";
import { EXIT } from "./exit.ts";
import { addProgressFlags, progressFor, type ProgressFlags } from "./progress.ts";
import { addSourceFlags, helmWorkerFlag, kubeconfigPolicy, openFromFlags, positiveInt, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import { addNotifyFlags, notifyFromFlags, type NotifyFlags } from "./notify-flags.ts";
import { createNotifier } from "../notify/notifier.ts";
import { createTargetCache } from "../reconcile/targets.ts";
import { failIfNoRevision, formatReport, outputOption, reportFailed } from "./report.ts";
import { runView } from "../reconcile/views.ts";

export const registerReconcile: RegisterCommand = (program, ctx) => {
  addNotifyFlags(addProgressFlags(addSourceFlags(program.command("reconcile")), ctx.env))
    .description("apply the definitions to every cluster, once or continuously")
    .option("--once", "one pass, then exit (1 if anything failed)")
    .option("--watch", "keep reconciling: poll the source and watch a local directory")
    .option("--interval <SECONDS>", "poll interval with --watch", "30")
    .addOption(outputOption())
    .option("--notify-wait <SECONDS>", "with --once: how long notifications still being delivered may hold the exit", "30")
    .action(async (f: SourceFlags & ProgressFlags & NotifyFlags & { once?: boolean; watch?: boolean; interval: string; output: string; notifyWait: string }) => {
      if (Boolean(f.once) === Boolean(f.watch)) throw new UsageError("give exactly one of --once or --watch");
      const progress = progressFor(f, ctx, "reconcile");
      const source = await openFromFlags(f, ctx.cwd);
      const targets = createTargetCache({ helmBinary: f.helm ?? "helm", ...helmWorkerFlag(f), log: ctx.log, kubeconfig: kubeconfigPolicy(f, source, ctx.cwd) });
      const notifier = createNotifier({ ...notifyFromFlags(f, ctx.cwd), source, kube: (c) => targets.targets([c])[0]!.kube, log: ctx.log.child({ component: "notify" }) });
      const sink = progress.sink;
      const rec = reconcilerFromFlags(f, source, ctx.log, {
        progress: (e) => {
          sink?.(e);
          notifier.progress(e);
        },
        observe: notifier.observe,
      });
      const print = (r: Awaited<ReturnType<typeof rec.runOnce>>) => {
        progress.end(); // the pass's last frame stays above its report
        if (f.output === "json") {
          ctx.stdout.write(`${JSON.stringify(runView(r))}\n`);
        } else ctx.stdout.write(formatReport(r));
      };
      try {
        if (f.once) {
          const report = await rec.runOnce();
          notifier.afterPass(report);
          print(report);
          // what is still being delivered (retries included) holds the exit this long at most
          await notifier.idle(positiveInt("--notify-wait", f.notifyWait, 30) * 1000);
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
          onReport: (r) => {
            notifier.afterPass(r);
            print(r);
          },
          onError: (err) => {
            progress.end();
            ctx.log.error({ err: (err as Error).message }, "reconcile loop error");
          },
        });
        await loop.done;
      } finally {
        progress.end();
        notifier.close();
        await source.close();
      }
    });
};
