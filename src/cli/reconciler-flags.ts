// Flags shared by the commands that reach clusters, and the wiring from flags
// to a Reconciler (the composition of adapters happens here, not in the core).
import type { Command } from "commander";
import { join, resolve } from "node:path";
import { homedir } from "node:os";
import { UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { loadRepo } from "../model/load.ts";
import { renderRepo } from "../render/output.ts";
import { createReconciler, type Reconciler } from "../reconcile/loop.ts";
import type { ProgressSink } from "../reconcile/progress.ts";
import type { Renderer } from "../reconcile/revision.ts";
import { checkSourceArgs, openSource, type GitSource } from "../reconcile/source.ts";
import { DEFAULT_GIT_USERNAME, GIT_TOKEN_FILE_FLAG, type TokenFileCredentials } from "../adapters/git-credentials.ts";
import { defaultKubeconfigDirs, type KubeconfigPolicy } from "../reconcile/targets.ts";

export interface SourceFlags {
  source?: string;
  ref?: string;
  helm?: string;
  /** --helm-worker: "" for none; absent, $BERTH_HELM_WORKER decides (reconcile/targets.ts). */
  helmWorker?: string;
  cacheDir?: string;
  cluster?: string;
  concurrency?: string;
  helmTimeout?: string;
  kubeconfigDir?: string[];
  repositoryCredentialsDir?: string[];
  repositoryUrlAllow?: string[];
  insecureKubeconfigExec?: boolean;
  requireProject?: boolean;
  shutdownGrace?: string;
  gitTokenFile?: string;
  gitUsername?: string;
}

export function addSourceFlags(cmd: Command): Command {
  return cmd
    .option("--source <SRC>", "definitions: a directory or a git URL (file://, https://, ssh://)")
    .option("--ref <REF>", "branch, tag or commit (default: the remote's default branch)")
    .option("--helm <PATH>", "helm binary (Helm 4 or 3)", process.env.BERTH_HELM ?? "helm")
    .option(
      "--helm-worker <PATH>",
      "the Helm worker (berth-helm-worker, Helm 4's SDK in one process per cluster) instead of a helm process per call when --helm is Helm 4; \"\" for none (default $BERTH_HELM_WORKER)",
    )
    .option("--cache-dir <DIR>", "where sources, charts and state are kept", process.env.BERTH_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "berth"))
    .option("--concurrency <N>", "releases acted on at once per cluster", "4")
    .option("--helm-timeout <SECONDS>", "how long one helm install/upgrade may wait for health", "300")
    .option(
      "--kubeconfig-dir <DIR>",
      "a directory Clusters' spec.kubeconfig.path may point into (repeatable; default $BERTH_KUBECONFIG_DIRS, colon-separated, else ~/.kube)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      "--repository-credentials-dir <DIR>",
      "a directory ChartRepositories' spec.auth and spec.caFile files may be in (repeatable; default $BERTH_REPOSITORY_CREDENTIAL_DIRS, colon-separated; else none: such repositories are refused)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      "--repository-url-allow <URL>",
      "a ChartRepository URL (or a prefix of URLs) berth may read (repeatable; default $BERTH_REPOSITORY_URLS, comma-separated; else any URL git names)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option(
      "--insecure-kubeconfig-exec",
      "let kubeconfigs run exec / auth-provider credential plugins as berth's user (default: refused; also BERTH_INSECURE_KUBECONFIG_EXEC=1)",
      process.env.BERTH_INSECURE_KUBECONFIG_EXEC === "1",
    )
    .option(...requireProjectFlag())
    .option(...gitTokenFileFlag())
    .option(...gitUsernameFlag())
    .option("--shutdown-grace <SECONDS>", "on SIGTERM/SIGINT: how long running helm calls get to stop and berth to record them before it exits", "30");
}

let stopping: { signal: AbortSignal; graceMs: number } | undefined;

/**
 * One per process: on SIGTERM or SIGINT no new helm action starts, running ones
 * are told to stop (helm marks its release failed; reconcile/stopping.ts marks
 * what it left pending), the pass records and reports, and the process exits.
 * The grace bounds all of it: past it berth exits whatever is still running.
 */
export function stopSignal(graceMs: number, log: Logger): AbortSignal {
  if (stopping) {
    stopping.graceMs = graceMs;
    return stopping.signal;
  }
  const ac = new AbortController();
  const s = (stopping = { signal: ac.signal, graceMs });
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) return;
    log.warn({ signal: sig, graceSeconds: s.graceMs / 1000 }, "stopping: no new actions; running helm calls told to stop");
    ac.abort(new Error(`berth got ${sig}`));
    setTimeout(() => {
      log.error({ graceSeconds: s.graceMs / 1000 }, "stopping: the shutdown grace has passed; exiting now");
      process.exit(1);
    }, s.graceMs).unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return ac.signal;
}

/** `--require-project`: every Application must name a Project (also BERTH_REQUIRE_PROJECT=1). */
export const requireProjectFlag = (): [string, string, boolean] => [
  "--require-project",
  "every Application must name a Project (spec.project); an Application without one is invalid (also BERTH_REQUIRE_PROJECT=1)",
  process.env.BERTH_REQUIRE_PROJECT === "1",
];

/** `--git-token-file FILE`: a token for an http(s) --source, handed to git through its environment only (adapters/git-credentials.ts). */
export const gitTokenFileFlag = (): [string, string] => [
  "--git-token-file <FILE>",
  "a file whose first line is a token for an http(s) --source, sent to that host only as HTTP basic auth; never on a command line, on disk, in logs or the API (default $BERTH_GIT_TOKEN_FILE)",
];

/** `--git-username NAME`: the basic-auth user sent with the token. */
export const gitUsernameFlag = (): [string, string] => [
  "--git-username <NAME>",
  `the user name sent with --git-token-file (default $BERTH_GIT_USERNAME, else ${DEFAULT_GIT_USERNAME}: GitHub, GitLab and Gitea take a token with any name)`,
];

/** The operator's git credentials from the flags, else the environment; none when no token file is named. */
export function gitCredentials(
  f: Pick<SourceFlags, "gitTokenFile" | "gitUsername">,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): { credentials?: TokenFileCredentials } {
  const file = f.gitTokenFile ?? (env.BERTH_GIT_TOKEN_FILE || undefined);
  if (file === undefined) {
    if (f.gitUsername !== undefined) throw new UsageError(`--git-username is sent with a token only; give the token with ${GIT_TOKEN_FILE_FLAG} too`);
    return {};
  }
  const username = f.gitUsername ?? (env.BERTH_GIT_USERNAME || DEFAULT_GIT_USERNAME);
  if (username === "" || /[:\s]/.test(username)) throw new UsageError(`--git-username ${JSON.stringify(username)}: a user name has no colon or white space; give one like ${DEFAULT_GIT_USERNAME}`);
  return { credentials: { tokenFile: resolve(cwd, file), username } };
}

/**
 * What a Cluster in git may point berth's credentials at: the operator's
 * directories, never the definitions source or berth's cache (git writes both).
 */
export function kubeconfigPolicy(f: SourceFlags, source: GitSource, cwd: string, env: NodeJS.ProcessEnv = process.env): KubeconfigPolicy {
  const home = homedir();
  const dirs = f.kubeconfigDir?.length
    ? f.kubeconfigDir.map((d) => resolve(cwd, d === "~" || d.startsWith("~/") ? home + d.slice(1) : d))
    : defaultKubeconfigDirs(env, home);
  return {
    dirs,
    deny: [
      { dir: f.cacheDir!, what: `berth's --cache-dir ${f.cacheDir!}` },
      ...(source.kind === "local" ? [{ dir: source.location, what: `the definitions source ${source.location}` }] : []),
    ],
    allowExec: f.insecureKubeconfigExec === true,
  };
}

/** Where ChartRepositories' credential files may be: the operator's directories only. */
export function repositoryCredentialDirs(f: Pick<SourceFlags, "repositoryCredentialsDir">, cwd: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const given = f.repositoryCredentialsDir?.length ? f.repositoryCredentialsDir : (env.BERTH_REPOSITORY_CREDENTIAL_DIRS ?? "").split(":").filter(Boolean);
  return given.map((d) => resolve(cwd, d));
}

/** `--repository-url-allow` as the reconciler takes it: absent when the operator set none (any URL). */
export function repositoryUrls(f: Pick<SourceFlags, "repositoryUrlAllow">, env: NodeJS.ProcessEnv = process.env): { repositoryUrls?: string[] } {
  const given = f.repositoryUrlAllow?.length ? f.repositoryUrlAllow : env.BERTH_REPOSITORY_URLS?.split(",").map((u) => u.trim()).filter(Boolean);
  return given?.length ? { repositoryUrls: given } : {};
}

export const defaultRenderer: Renderer = { load: (dir, o) => loadRepo(dir, { ...o }), render: renderRepo };

/** The renderer with the operator's model options (--require-project). */
export const rendererFromFlags = (f: Pick<SourceFlags, "requireProject">): Renderer =>
  f.requireProject ? { load: (dir, o) => loadRepo(dir, { ...o, requireProject: true }), render: renderRepo } : defaultRenderer;

export function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive whole number, got "${v}"`);
  return n;
}

export async function openFromFlags(f: SourceFlags, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<GitSource> {
  const src = f.source ?? cwd;
  checkSourceArgs(src, f.ref); // before a relative path is joined to cwd, which would hide a leading "-"
  return openSource(src.startsWith("/") || /^[a-z]+:\/\//i.test(src) || src.includes("@") ? src : join(cwd, src), {
    ...(f.ref ? { ref: f.ref } : {}),
    cacheDir: join(f.cacheDir!, "sources"),
    ...gitCredentials(f, cwd, env),
  });
}

/** The --helm-worker flag as a client option, handed to every client a command makes (the loop's, serve's API, the release commands'). */
export const helmWorkerFlag = (f: Pick<SourceFlags, "helmWorker">): { helmWorker?: string } => (f.helmWorker !== undefined ? { helmWorker: f.helmWorker } : {});

export function reconcilerFromFlags(f: SourceFlags, source: GitSource, log: Logger, o: { cwd?: string; progress?: ProgressSink; observe?: (r: Renderer) => Renderer } = {}): Reconciler {
  const cwd = o.cwd ?? process.cwd();
  return createReconciler({
    kubeconfig: kubeconfigPolicy(f, source, cwd),
    signal: stopSignal(positiveInt("--shutdown-grace", f.shutdownGrace, 30) * 1000, log),
    source,
    // `observe`: who is told of each revision loaded (the notifier, for its Notifications)
    renderer: o.observe ? o.observe(rendererFromFlags(f)) : rendererFromFlags(f),
    repositoryCredentialDirs: repositoryCredentialDirs(f, cwd),
    ...repositoryUrls(f),
    log,
    cacheDir: f.cacheDir!,
    helmBinary: f.helm ?? "helm",
    ...helmWorkerFlag(f),
    ...(f.cluster ? { cluster: f.cluster } : {}),
    concurrency: positiveInt("--concurrency", f.concurrency, 4),
    helmTimeoutMs: positiveInt("--helm-timeout", f.helmTimeout, 300) * 1000,
    ...(o.progress ? { progress: o.progress } : {}),
  });
}
