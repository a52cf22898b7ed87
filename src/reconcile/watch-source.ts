// Keeps a source fetched: at start, every `intervalMs`, on trigger() (the push
// webhook), and — for a local directory — when files change. Reports a
// revision only when its id differs from the last one reported.
import { watchFiles as realWatchFiles, type FileWatch, type FileWatchOptions } from "../adapters/file-watch.ts";
import type { GitSource, Revision } from "./source.ts";

export interface WatchSourceOptions {
  intervalMs: number;
  /** Quiet time after a burst of file events before fetching (local sources). */
  debounceMs?: number;
  /** Called with each new revision, awaited before the next fetch. */
  onRevision: (rev: Revision) => void | Promise<void>;
  /** A failed fetch (GitError) or a throwing onRevision; the watch goes on. */
  onError: (err: unknown) => void;
  signal?: AbortSignal;
  watchFiles?: (root: string, opts: FileWatchOptions) => FileWatch;
}

export interface SourceWatch {
  /** Fetches now; a call during a fetch queues one more (calls coalesce). */
  trigger(): Promise<void>;
  /** Resolves when the first fetch is done and file watching (if any) is live. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function watchSource(source: GitSource, opts: WatchSourceOptions): SourceWatch {
  let lastSha: string | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;

  async function tick(): Promise<void> {
    clearTimeout(timer);
    try {
      const rev = await source.fetch();
      if (rev.sha !== lastSha && !closed) {
        lastSha = rev.sha;
        await opts.onRevision(rev);
      }
    } catch (e) {
      if (!closed) opts.onError(e);
    } finally {
      if (!closed) timer = setTimeout(() => void trigger(), opts.intervalMs);
    }
  }

  function trigger(): Promise<void> {
    if (closed) return Promise.resolve();
    if (!inFlight) {
      inFlight = tick().finally(() => (inFlight = undefined));
      return inFlight;
    }
    queued ??= inFlight.then(() => {
      queued = undefined;
      return trigger();
    });
    return queued;
  }

  const files =
    source.watchPath === undefined
      ? undefined
      : (opts.watchFiles ?? realWatchFiles)(source.watchPath, {
          debounceMs: opts.debounceMs,
          onChange: () => void trigger(),
          onError: opts.onError,
        });

  async function close(): Promise<void> {
    closed = true;
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onAbort);
    await files?.close();
    await inFlight;
  }
  const onAbort = (): void => void close();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) void close();

  const ready = Promise.all([trigger(), files?.ready]).then(() => undefined);
  return { trigger, ready, close };
}
