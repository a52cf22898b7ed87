// The few error classes berth has. Each carries a stable `code`; the CLI maps
// codes to exit codes in one place (src/cli/exit.ts).

/** One problem in the user's definitions, located in the file that holds it. */
export interface Issue {
  file: string; // path relative to the repository root
  line: number; // 1-based
  col: number; // 1-based
  path: string; // field path, e.g. `spec.components[2].version`
  message: string; // what is wrong and what would be right
}

export function formatIssue(i: Issue): string {
  return `${i.file}:${i.line}:${i.col} ${i.path ? `${i.path}: ` : ""}${i.message}`;
}

export type ErrorCode =
  | "INVALID_INPUT"
  | "USAGE"
  | "HELM_FAILED"
  | "HELM_TIMEOUT"
  | "KUBE_FAILED"
  | "GIT_FAILED"
  | "CHART_SOURCE_FAILED"
  | "ACTION_FAILED"
  | "NOTIFY_FAILED";

export class BerthError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The definitions repository is invalid; every issue is reported at once. */
export class ValidationError extends BerthError {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super("INVALID_INPUT", issues.map(formatIssue).join("\n"));
    this.issues = issues;
  }
}

/** The command line itself is wrong (unknown flag, missing argument). */
export class UsageError extends BerthError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** A helm command failed or timed out. Keeps the arguments (values go by file, never inline) and stderr. */
export class HelmError extends BerthError {
  readonly args: string[];
  readonly stderr: string;
  constructor(message: string, opts: { args: string[]; stderr: string; timedOut?: boolean; cause?: unknown }) {
    super(opts.timedOut ? "HELM_TIMEOUT" : "HELM_FAILED", message, { cause: opts.cause });
    this.args = opts.args;
    this.stderr = opts.stderr;
  }
}

/** A Kubernetes API call failed (unreachable cluster, forbidden, invalid object). */
export class KubeError extends BerthError {
  readonly cluster: string;
  constructor(cluster: string, message: string, options?: { cause?: unknown }) {
    super("KUBE_FAILED", `cluster ${cluster}: ${message}`, options);
    this.cluster = cluster;
  }
}

// `scheme://user:password@host` or `scheme://token@host`: the userinfo part of
// any URL in a message. Git echoes URLs back in stderr, so every GitError field
// passes through this before it is stored.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/]+@/gi;

/** Replaces the credentials in every URL inside `text` with `***`. */
export function redactCredentials(text: string): string {
  return text.replace(URL_USERINFO, "$1***@");
}

/** A git command failed: network, auth, unknown ref, corrupt cache. */
export class GitError extends BerthError {
  /** The git command line, e.g. `git fetch --depth 1 https://***@host/repo.git main`. */
  readonly command: string;
  /** What git printed on stderr (credentials redacted). */
  readonly stderr: string;
  constructor(args: readonly string[], stderr: string, hint?: string) {
    const command = redactCredentials(["git", ...args].join(" "));
    const err = redactCredentials(stderr.trim());
    const first = err.split("\n").find((l) => l.trim() !== "") ?? "failed";
    super("GIT_FAILED", `${command}: ${first}${hint ? ` (${hint})` : ""}`);
    this.command = command;
    this.stderr = err;
  }
}

/**
 * A notification could not be sent, or may not be: a sink's file or URL
 * outside what the operator allows, a receiver that refused or timed out.
 * Its message names the sink by kind and host only, never a URL's path, a
 * token or a key.
 */
export class NotifyError extends BerthError {
  /** `webhook hooks.example.com`, `commitStatus gitea git.example.com`. */
  readonly sink: string;
  /** The HTTP status a receiver answered, when it answered. */
  readonly status?: number;
  /** Whether trying again may help (a refusal by the operator's rules never does). */
  readonly retryable: boolean;
  constructor(sink: string, message: string, opts: { status?: number; retryable: boolean; cause?: unknown }) {
    super("NOTIFY_FAILED", `${sink}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.sink = sink;
    if (opts.status !== undefined) this.status = opts.status;
    this.retryable = opts.retryable;
  }
}

/** A chart repository or registry could not be read, or a chart failed its digest. Blocks only the releases that need it. */
export class ChartSourceError extends BerthError {
  /** The ChartRepository's name. */
  readonly repository: string;
  constructor(repository: string, message: string, options?: { cause?: unknown }) {
    super("CHART_SOURCE_FAILED", `ChartRepository ${repository}: ${redactCredentials(message)}`, options);
    this.repository = repository;
  }
}
