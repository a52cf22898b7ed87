// `reconcile --watch` and `serve`: run the loop at an interval, at once on a
// trigger (push webhook, file change), one run at a time.
import { watchFiles } from "../adapters/file-watch.ts";
import type { Reconciler, RunReport } from "./loop.ts";
import type { GitSource } from "./source.ts";

export interface WatchOptions {
  intervalMs: number;
  signal: AbortSignal;
  onReport(r: RunReport): void | Promise<void>;
  onError(err: unknown): void;
  /** Whether this process may act now (leader election); a follower only waits. */
  mayAct?: () => boolean;
}

export interface LoopHandle {
  /** Run as soon as the current run ends. */
  trigger(): void;
  done: Promise<void>;
}

export function runWatch(rec: Reconciler, source: GitSource, o: WatchOptions): LoopHandle {
  let wake: (() => void) | undefined;
  let pending = false;
  const trigger = () => {
    pending = true;
    wake?.();
  };
  const files = source.kind === "local" && source.watchPath ? watchFiles(source.watchPath, { onChange: trigger, onError: o.onError }) : undefined;
  o.signal.addEventListener("abort", () => wake?.(), { once: true });

  const done = (async () => {
    while (!o.signal.aborted) {
      pending = false;
      if (!o.mayAct || o.mayAct()) {
        try {
          await o.onReport(await rec.runOnce());
        } catch (err) {
          o.onError(err);
        }
      }
      if (o.signal.aborted) break;
      if (!pending) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, o.intervalMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
    await files?.close();
  })();
  return { trigger, done };
}
