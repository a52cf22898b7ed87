// The one place berth runs git. A thin layer over simple-git: each method is
// one or two git commands, and every failure becomes a GitError whose command
// and stderr have URL credentials redacted. Every URL, path or ref given on a
// command line comes after `--` (or `--end-of-options`), so none is read as an option.
import { mkdir, rm } from "node:fs/promises";
import { simpleGit, type SimpleGit } from "simple-git";
import { GitError } from "../errors.ts";
import { credentialEnv, GIT_TOKEN_FILE_FLAG, isAuthFailure, type HttpCredentials } from "./git-credentials.ts";

export interface GitClient {
  /** Creates an empty bare repository at `dir` unless one is already there. */
  initBare(dir: string): Promise<void>;
  /** True when `path` is a bare repository (a remote given as a plain path). */
  isBareRepo(path: string): Promise<boolean>;
  /**
   * Fetches `ref` — a branch, a tag, a full commit SHA, or `HEAD` for the
   * remote's default branch — from `url` into the bare repo `repoDir`,
   * shallow and without tags, and returns the commit SHA it names.
   * The URL is passed on the command line, never stored in the repo config,
   * so credentials in it do not land on disk; `credentials` go to git
   * through its environment only (git-credentials.ts).
   */
  fetchCommit(repoDir: string, url: string, ref: string, opts?: FetchOptions): Promise<string>;
  /** Checks `sha` out, detached, into a new work tree at `path`. */
  addWorktree(repoDir: string, path: string, sha: string): Promise<void>;
  /** Removes a work tree's files and git's record of it; also clears a half-made one. */
  removeWorktree(repoDir: string, path: string): Promise<void>;
  /** Paths of the work trees of `repoDir` (the bare repo itself excluded). */
  listWorktrees(repoDir: string): Promise<string[]>;
  /** The SHA checked out at `path` if it is a complete, unmodified checkout; otherwise undefined. */
  cleanCheckout(path: string): Promise<string | undefined>;
  /**
   * The git view of a local directory: undefined when it is not inside a work
   * tree; otherwise HEAD (undefined before the first commit), whether anything
   * under `dir` differs from HEAD, and the files git sees there (tracked plus
   * untracked-but-not-ignored), relative to `dir`.
   */
  workTreeState(dir: string): Promise<WorkTreeState | undefined>;
}

export interface FetchOptions {
  /** A token for an http(s) remote (--git-token-file). */
  credentials?: HttpCredentials;
}

export interface WorkTreeState {
  head: string | undefined;
  dirty: boolean;
  files: string[];
}

export interface GitClientOptions {
  /** Environment of the git processes; defaults to this process's. */
  env?: NodeJS.ProcessEnv;
  /** A git process silent for this long is killed (network hangs). */
  timeoutMs?: number;
}

// What git needs from the environment, and nothing that makes it run another
// program (EDITOR, PAGER…: simple-git refuses those, and a reconciler has no use
// for them). LC_ALL=C keeps stderr in English for error messages.
const PASSED_ENV = /^(PATH|HOME|USER|TMPDIR|SSH_AUTH_SOCK|GIT_SSH_COMMAND|GIT_SSL_CAINFO|XDG_CONFIG_HOME|(HTTPS?|NO|ALL)_PROXY)$/i;

export function gitEnv(from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined && PASSED_ENV.test(k)) env[k] = v;
  // Never prompt: a missing credential must fail, not hang a reconciler.
  return { ...env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? "ssh -o BatchMode=yes" };
}

export function createGitClient(opts: GitClientOptions = {}): GitClient {
  const env = gitEnv(opts.env ?? process.env);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  // `extra` is only ever credentialEnv(): simple-git still checks each key it sets against its block list.
  const git = (dir: string, extra?: Record<string, string>): SimpleGit =>
    simpleGit({
      baseDir: dir,
      timeout: { block: timeoutMs },
      unsafe: { allowUnsafeSshCommand: true, ...(extra ? { allowUnsafeConfigEnvCount: true } : {}) },
    }).env({ ...env, ...extra });

  async function run(dir: string, args: string[], hint?: string | ((stderr: string) => string | undefined), extra?: Record<string, string>): Promise<string> {
    try {
      return await git(dir, extra).raw(args);
    } catch (e) {
      const stderr = e instanceof Error ? e.message : String(e);
      throw new GitError(args, stderr, typeof hint === "function" ? hint(stderr) : hint);
    }
  }

  return {
    async initBare(dir) {
      await mkdir(dir, { recursive: true });
      if (!(await this.isBareRepo(dir))) await run(dir, ["init", "--quiet", "--bare"]);
    },

    async isBareRepo(path) {
      try {
        return (await git(path).raw(["rev-parse", "--is-bare-repository"])).trim() === "true";
      } catch {
        return false;
      }
    },

    async fetchCommit(repoDir, url, ref, opts = {}) {
      // Fetch into a private ref rather than FETCH_HEAD: one ref then names
      // exactly this fetch's commit whatever the ref kind, and FETCH_HEAD
      // (which records the URL, credentials included) is never written.
      const target = "refs/berth/fetched";
      // `--` ends the options: a URL or ref that starts with `-` is then a name, never a git option.
      const args = ["fetch", "--quiet", "--depth", "1", "--no-tags", "--no-write-fetch-head", "--", url, `+${ref}:${target}`];
      const hint = (stderr: string): string => {
        if (isAuthFailure(stderr)) {
          return opts.credentials
            ? `the remote refused the token berth was given with ${GIT_TOKEN_FILE_FLAG}; check that it is current and may read this repository`
            : `the remote wants credentials; give berth a token that may read it with ${GIT_TOKEN_FILE_FLAG}`;
        }
        return /^[0-9a-f]{7,39}$/.test(ref)
          ? "a commit must be given as its full 40-character SHA"
          : "check that the URL is reachable and the ref exists";
      };
      await run(repoDir, args, hint, opts.credentials ? credentialEnv(url, opts.credentials) : undefined);
      return (await run(repoDir, ["rev-parse", "--verify", `${target}^{commit}`])).trim();
    },

    async addWorktree(repoDir, path, sha) {
      await run(repoDir, ["worktree", "add", "--quiet", "--force", "--detach", "--", path, sha]);
    },

    async removeWorktree(repoDir, path) {
      await rm(path, { recursive: true, force: true });
      await run(repoDir, ["worktree", "prune"]);
    },

    async listWorktrees(repoDir) {
      const out = await run(repoDir, ["worktree", "list", "--porcelain"]);
      const paths: string[] = [];
      for (const block of out.split("\n\n")) {
        const path = /^worktree (.+)$/m.exec(block)?.[1];
        if (path !== undefined && !/^bare$/m.test(block)) paths.push(path);
      }
      return paths;
    },

    async cleanCheckout(path) {
      try {
        const head = (await git(path).raw(["rev-parse", "HEAD"])).trim();
        const status = await git(path).raw(["status", "--porcelain", "--untracked-files=no"]);
        return status.trim() === "" ? head : undefined;
      } catch {
        return undefined;
      }
    },

    async workTreeState(dir) {
      try {
        if ((await git(dir).raw(["rev-parse", "--is-inside-work-tree"])).trim() !== "true") return undefined;
      } catch {
        return undefined;
      }
      let head: string | undefined;
      try {
        head = (await git(dir).raw(["rev-parse", "--verify", "--quiet", "HEAD"])).trim() || undefined;
      } catch {
        head = undefined; // unborn branch: no commit yet
      }
      const status = await run(dir, ["status", "--porcelain", "--untracked-files=all", "--", "."]);
      const listed = await run(dir, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."]);
      // A tracked file deleted in the work tree is still listed by --cached.
      const files = [...new Set(listed.split("\0").filter((f) => f !== ""))].sort();
      return { head, dirty: status.trim() !== "" || head === undefined, files };
    },
  };
}
