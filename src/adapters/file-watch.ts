// Watches a directory with chokidar and reports a burst of changes once, after
// it has been quiet for `debounceMs` (an editor save is often several events).
import { watch } from "chokidar";
import { relative, sep } from "node:path";

export interface FileWatchOptions {
  debounceMs?: number;
  onChange: () => void;
  onError?: (err: unknown) => void;
}

export interface FileWatch {
  /** Resolves once the initial scan is done and changes are being reported. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** True for paths inside a hidden entry (.git, .cache, editor swap files). */
export function isHiddenPath(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel.split(sep).some((part) => part.startsWith("."));
}

export function watchFiles(root: string, opts: FileWatchOptions): FileWatch {
  const debounceMs = opts.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  // followSymlinks off: a link's own change is seen, but what it points at (maybe `/`) is never walked
  const watcher = watch(root, { ignoreInitial: true, followSymlinks: false, ignored: (p) => isHiddenPath(root, p) });
  watcher.on("all", () => {
    clearTimeout(timer);
    timer = setTimeout(opts.onChange, debounceMs);
  });
  watcher.on("error", (e) => opts.onError?.(e));
  const ready = new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  return {
    ready,
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
