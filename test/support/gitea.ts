/**
 * A real Gitea (v1.27.3, built by test/cluster/build.sh) on loopback for the
 * forge tests: SQLite, a fresh data dir, one admin user and a token, its API,
 * git over HTTP and webhooks to loopback receivers.
 *
 *   const gitea = await startGitea();                 // binary from inject("binaries")
 *   await gitea.createRepo("defs", { private: true });
 *   const sha = await gitea.pushDir("defs", "examples/shop");
 *   await gitea.addWebhook("defs", { url: "http://127.0.0.1:8080/hooks/git", secret, events: ["push"] });
 *   const repo = await gitea.api<{ default_branch: string }>("GET", "/repos/berth/defs");
 *   await gitea.stop();
 *
 * The token never appears in a URL, a command line or a .git/config: git gets
 * it as an http.extraHeader through GIT_CONFIG_* environment variables.
 * Its data dir (app.ini, gitea.log, state.json) lives in ~/.cache/berth/runs/<pid>/
 * like a cluster's, so a run killed before stop() is reaped by the next one.
 */
import { randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { inject } from "vitest";
import { freePorts } from "../cluster/ports.ts";
import { isAlive, spawnGroup, stopGroups } from "../cluster/processes.ts";
import { runsBaseDir, writeState } from "../cluster/state.ts";

/** app.ini sections and keys, merged over the defaults (e.g. `{ actions: { ENABLED: "true" } }`). */
export type GiteaIni = Record<string, Record<string, string>>;

export interface GiteaOptions {
  /** Path of the gitea binary. Default: inject("binaries").gitea. */
  binary?: string;
  /** Extra or overriding app.ini settings. */
  ini?: GiteaIni;
  /** Token scopes. Default: read/write on repositories, issues and the user. */
  scopes?: readonly string[];
  /** Default: ~/.cache/berth/runs/<pid>. */
  baseDir?: string;
  /** Default 60 s. */
  startTimeoutMs?: number;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  /** Gitea event names, e.g. ["push"], ["push", "issues"]. Default ["push"]. */
  events?: readonly string[];
  /** Glob of branches whose pushes are delivered. Default: every branch. */
  branch_filter?: string;
  /** Hook type; "gitea" sends X-Gitea-* headers, "gogs"/"github"-style types differ. Default "gitea". */
  type?: string;
}

export interface PushOptions {
  /** Default "main". */
  branch?: string;
  /** Branch to start a new `branch` from when it does not exist yet. Default: the repository's default branch. */
  from?: string;
  message?: string;
}

export interface Gitea {
  /** http://127.0.0.1:<port> (no trailing slash). */
  url: string;
  user: string;
  password: string;
  /** Access token of `user` with the requested scopes. */
  token: string;
  dataDir: string;
  /** Calls /api/v1<path> with the token; returns the parsed JSON (undefined for an empty body); throws on a non-2xx answer. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Creates `user/<name>` (empty, default branch main). */
  createRepo(name: string, options?: { private?: boolean; defaultBranch?: string }): Promise<void>;
  /** http://127.0.0.1:<port>/<user>/<repo>.git, without credentials. */
  cloneUrl(repo: string): string;
  /** Environment for a git child that authenticates to this Gitea with the token (http.extraHeader). */
  gitEnv(): NodeJS.ProcessEnv;
  /**
   * Replaces the content of `branch` with the files of `dir` (recursively, .git
   * excluded) in one commit and pushes it over HTTP; returns the commit SHA.
   */
  pushDir(repo: string, dir: string, options?: PushOptions | string): Promise<string>;
  /** Writes files (null deletes) on top of `branch` in one commit and pushes it; returns the commit SHA. */
  pushFiles(repo: string, files: Record<string, string | null>, options?: PushOptions | string): Promise<string>;
  /** Adds a webhook with a JSON body and HMAC secret; returns its id. */
  addWebhook(repo: string, options: WebhookOptions): Promise<number>;
  /** The last lines Gitea logged (for failure messages). */
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

const DEFAULT_SCOPES = ["write:repository", "write:issue", "write:user"];

function iniText(sections: GiteaIni): string {
  const lines: string[] = [];
  for (const [name, keys] of Object.entries(sections)) {
    if (name !== "") lines.push(`[${name}]`);
    for (const [key, value] of Object.entries(keys)) lines.push(`${key} = ${value}`);
    lines.push("");
  }
  return lines.join("\n");
}

function baseIni(dataDir: string, port: number): GiteaIni {
  const url = `http://127.0.0.1:${port}/`;
  return {
    // the root section: written first, without a [header]
    "": {
      APP_NAME: "berth-test",
      RUN_MODE: "prod",
      WORK_PATH: dataDir,
      // Gitea refuses to run as root unless told; CI containers often are root.
      ...(process.getuid?.() === 0 ? { I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: "true" } : {}),
    },
    server: {
      PROTOCOL: "http",
      HTTP_ADDR: "127.0.0.1",
      HTTP_PORT: String(port),
      ROOT_URL: url,
      LOCAL_ROOT_URL: url,
      DISABLE_SSH: "true",
      START_SSH_SERVER: "false",
      OFFLINE_MODE: "true",
      LFS_START_SERVER: "false",
      APP_DATA_PATH: join(dataDir, "data"),
    },
    database: { DB_TYPE: "sqlite3", PATH: join(dataDir, "data", "gitea.db"), SQLITE_JOURNAL_MODE: "WAL" },
    repository: { ROOT: join(dataDir, "repos"), DEFAULT_BRANCH: "main" },
    security: {
      INSTALL_LOCK: "true",
      SECRET_KEY: randomBytes(32).toString("hex"),
      INTERNAL_TOKEN: randomBytes(48).toString("hex"),
      // webhooks may reach receivers on 127.0.0.1 ([webhook] ALLOWED_HOST_LIST is deprecated in favour of this)
      ALLOWED_HOST_LIST: "loopback",
      // cheap hashing: passwords here protect nothing, and argon2 costs memory and time
      PASSWORD_HASH_ALGO: "pbkdf2_v2",
    },
    webhook: { DELIVER_TIMEOUT: "3", SKIP_TLS_VERIFY: "true" },
    // in-memory queues: nothing to persist between runs, and webhook deliveries leave at once
    queue: { TYPE: "channel" },
    cache: { ADAPTER: "memory" },
    session: { PROVIDER: "memory" },
    indexer: { ISSUE_INDEXER_TYPE: "db", REPO_INDEXER_ENABLED: "false" },
    mailer: { ENABLED: "false" },
    service: { DISABLE_REGISTRATION: "true", REQUIRE_SIGNIN_VIEW: "false", ENABLE_NOTIFY_MAIL: "false" },
    actions: { ENABLED: "false" },
    "cron.update_checker": { ENABLED: "false" },
    migrations: { ALLOW_LOCALNETWORKS: "true" },
    log: { MODE: "console", LEVEL: "Warn", ROOT_PATH: join(dataDir, "log") },
    other: { SHOW_FOOTER_VERSION: "false" },
  };
}

function merge(base: GiteaIni, extra: GiteaIni = {}): GiteaIni {
  const out: GiteaIni = { ...base };
  for (const [name, keys] of Object.entries(extra)) out[name] = { ...(out[name] ?? {}), ...keys };
  return out;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.ok;
  } catch {
    return false;
  }
}

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_TERMINAL_PROMPT: "0",
};

export async function startGitea(options: GiteaOptions = {}): Promise<Gitea> {
  const binary = options.binary ?? inject("binaries").gitea;
  const port = (await freePorts(1))[0] as number;
  const url = `http://127.0.0.1:${port}`;
  const dataDir = join(options.baseDir ?? join(runsBaseDir(), String(process.pid)), `gitea-${port}`);
  await mkdir(join(dataDir, "data"), { recursive: true });
  const config = join(dataDir, "app.ini");
  const logFile = join(dataDir, "gitea.log");
  await writeFile(config, iniText(merge(baseIni(dataDir, port), options.ini)));
  // --config names the data dir on the command line, which is how state.ts
  // recognises the process as ours when it reaps.
  const pid = spawnGroup({ command: binary, args: ["web", "--config", config, "--work-path", dataDir], logFile });
  await writeState({
    name: `gitea-${port}`, dataDir, kubeconfigPath: "", server: url,
    owner: process.pid, startedAt: new Date().toISOString(), pids: { gitea: pid },
  });
  const work = await mkdtemp(join(tmpdir(), "berth-gitea-work-"));
  const logTail = async (lines = 30): Promise<string> =>
    (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-lines).join("\n");
  const stop = async (): Promise<void> => {
    await stopGroups([pid], 3_000);
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
    if (options.baseDir === undefined) await rmdir(dirname(dataDir)).catch(() => undefined);
  };

  const user = "berth";
  const password = randomBytes(12).toString("hex");
  let token = "";
  const request = async <T>(method: string, path: string, body: unknown, auth: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: auth, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`gitea ${method} /api/v1${path}: ${res.status} ${res.statusText}: ${text.slice(0, 500)}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };
  const api = <T = unknown>(method: string, path: string, body?: unknown): Promise<T> =>
    request<T>(method, path, body, `token ${token}`);

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    while (!(await healthy(url))) {
      if (!isAlive(pid)) throw new Error(`gitea exited during start-up; log:\n${await logTail()}`);
      if (Date.now() > deadline) throw new Error(`gitea on ${url} not healthy after ${options.startTimeoutMs ?? 60_000} ms; log:\n${await logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await execa(binary, [
      "admin", "user", "create", "--config", config, "--work-path", dataDir,
      "--username", user, "--password", password, "--email", `${user}@example.com`,
      "--admin", "--must-change-password=false",
    ]);
    const basic = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    const created = await request<{ sha1: string }>("POST", `/users/${user}/tokens`, {
      name: "berth-tests",
      scopes: options.scopes ?? DEFAULT_SCOPES,
    }, basic);
    token = created.sha1;
  } catch (error) {
    await stop();
    throw error;
  }

  const cloneUrl = (repo: string): string => `${url}/${user}/${repo}.git`;
  const gitEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    ...GIT_IDENTITY,
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`,
  });
  const git = async (cwd: string, ...args: string[]): Promise<string> =>
    (await execa("git", args, { cwd, env: gitEnv(), extendEnv: false })).stdout.trim();

  // One work clone per repository, reused by later pushes.
  const clones = new Map<string, string>();
  const checkout = async (repo: string, push: PushOptions): Promise<{ dir: string; branch: string }> => {
    let dir = clones.get(repo);
    if (dir === undefined) {
      dir = join(work, repo);
      await mkdir(dir, { recursive: true });
      await git(dir, "init", "--quiet", "--initial-branch=main");
      await git(dir, "remote", "add", "origin", cloneUrl(repo));
      clones.set(repo, dir);
    }
    const branch = push.branch ?? "main";
    await git(dir, "fetch", "--quiet", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*");
    const remote = (await git(dir, "branch", "-r", "--format=%(refname:short)")).split("\n").filter(Boolean);
    const from = push.from ?? (await api<{ default_branch: string }>("GET", `/repos/${user}/${repo}`)).default_branch;
    const base = remote.includes(`origin/${branch}`) ? `origin/${branch}` : remote.includes(`origin/${from}`) ? `origin/${from}` : undefined;
    if (base === undefined) await git(dir, "checkout", "--quiet", "--orphan", `work-${branch}`);
    else await git(dir, "checkout", "--quiet", "-B", `work-${branch}`, base);
    return { dir, branch };
  };
  // Gitea takes a push in asynchronously (its queue clears the repository's
  // `empty` flag and updates the branch table; until then the branch API
  // even answers 500), so a push returns only once the API shows it.
  const waitPushed = async (repo: string, branch: string, sha: string): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const seen = await api<{ empty: boolean }>("GET", `/repos/${user}/${repo}`)
        .then((r) => (r.empty ? undefined : api<{ commit: { id: string } }>("GET", `/repos/${user}/${repo}/branches/${encodeURIComponent(branch)}`)))
        .then((b) => b?.commit.id)
        .catch(() => undefined);
      if (seen === sha) return;
      if (Date.now() > deadline) throw new Error(`gitea did not show ${branch} at ${sha} of ${repo} 30 s after the push (it shows ${seen ?? "nothing"}); log:\n${await logTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const commitAndPush = async (repo: string, dir: string, branch: string, message: string): Promise<string> => {
    await git(dir, "add", "-A");
    await git(dir, "commit", "--quiet", "--allow-empty", "-m", message);
    await git(dir, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
    const sha = await git(dir, "rev-parse", "HEAD");
    await waitPushed(repo, branch, sha);
    return sha;
  };
  const pushOptions = (o: PushOptions | string | undefined): PushOptions => (typeof o === "string" ? { branch: o } : (o ?? {}));

  return {
    url, user, password, token, dataDir, api, cloneUrl, gitEnv, logTail, stop,
    async createRepo(name, repoOptions = {}) {
      await api("POST", "/user/repos", {
        name,
        private: repoOptions.private ?? false,
        auto_init: false,
        default_branch: repoOptions.defaultBranch ?? "main",
      });
    },
    async pushDir(repo, dir, o) {
      const push = pushOptions(o);
      const { dir: clone, branch } = await checkout(repo, push);
      for (const entry of await readdir(clone)) if (entry !== ".git") await rm(join(clone, entry), { recursive: true, force: true });
      await cp(dir, clone, { recursive: true, filter: (src) => !src.split("/").includes(".git") });
      return commitAndPush(repo, clone, branch, push.message ?? `push ${dir}`);
    },
    async pushFiles(repo, files, o) {
      const push = pushOptions(o);
      const { dir: clone, branch } = await checkout(repo, push);
      for (const [file, content] of Object.entries(files)) {
        const path = join(clone, file);
        if (content === null) await rm(path, { force: true });
        else {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, content);
        }
      }
      return commitAndPush(repo, clone, branch, push.message ?? "change");
    },
    async addWebhook(repo, hook) {
      const created = await api<{ id: number }>("POST", `/repos/${user}/${repo}/hooks`, {
        type: hook.type ?? "gitea",
        active: true,
        events: hook.events ?? ["push"],
        branch_filter: hook.branch_filter ?? "*",
        config: { url: hook.url, content_type: "json", secret: hook.secret, http_method: "post" },
      });
      return created.id;
    },
  };
}
