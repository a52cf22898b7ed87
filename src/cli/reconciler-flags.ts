// Flags shared by the commands that reach clusters, and the wiring from flags
// to a Reconciler (the composition of adapters happens here, not in the core).
import type { Command } from "commander";
import { join } from "node:path";
import { homedir } from "node:os";
import { UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { loadRepo } from "../model/load.ts";
import { renderRepo } from "../render/output.ts";
import { createReconciler, type Reconciler } from "../reconcile/loop.ts";
import type { Renderer } from "../reconcile/revision.ts";
import { checkSourceArgs, openSource, type GitSource } from "../reconcile/source.ts";

export interface SourceFlags {
  source?: string;
  ref?: string;
  helm?: string;
  cacheDir?: string;
  cluster?: string;
  concurrency?: string;
  helmTimeout?: string;
}

export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option("--source <SRC>", "definitions: a directory or a git URL (file://, https://, ssh://)")
    .option("--ref <REF>", "branch, tag or commit (default: the remote's default branch)")
    .option("--helm <PATH>", "helm binary (Helm 4 or 3)", process.env.BERTH_HELM ?? "helm")
    .option("--cache-dir <DIR>", "where sources, charts and state are kept", process.env.BERTH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "berth"))
    .option("--concurrency <N>", "releases acted on at once per cluster", "4")
    .option("--helm-timeout <SECONDS>", "how long one helm install/upgrade may wait for health", "300");
}

export const defaultRenderer: Renderer = { load: (dir) => loadRepo(dir), render: renderRepo };

export function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got "${v}"`);
  return n;
}

export async function openFromFlags(f: SourceFlags, cwd: string): Promise<GitSource> {
  const src = f.source ?? cwd;
  checkSourceArgs(src, f.ref); // before a relative path is joined to cwd, which would hide a leading "-"
  return openSource(src.startsWith("/") || /^[a-z]+:\/\//i.test(src) || src.includes("@") ? src : join(cwd, src), {
    ...(f.ref ? { ref: f.ref } : {}),
    cacheDir: join(f.cacheDir!, "sources"),
  });
}

export function reconcilerFromFlags(f: SourceFlags, source: GitSource, log: Logger): Reconciler {
  return createReconciler({
    source,
    renderer: defaultRenderer,
    log,
    cacheDir: f.cacheDir!,
    helmBinary: f.helm ?? "helm",
    ...(f.cluster ? { cluster: f.cluster } : {}),
    concurrency: positiveInt("--concurrency", f.concurrency, 4),
    helmTimeoutMs: positiveInt("--helm-timeout", f.helmTimeout, 300) * 1000,
  });
}
