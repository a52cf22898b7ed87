// Where the reconciler's revisions come from: a git remote at a ref, or a
// deployer's local directory. Each fetch() yields one revision — an id and a
// directory holding exactly that content — and the source remembers when it
// last succeeded, so status can say "source is stale since …".
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { redactCredentials, UsageError } from "../errors.ts";
import { createGitClient, type GitClient } from "../adapters/git.ts";
import { GIT_TOKEN_FILE_FLAG, hasUrlCredentials, httpOrigin, readTokenFile, type TokenFileCredentials } from "../adapters/git-credentials.ts";
import { isDirectory, isSymlinkEntry, listDirs, listFiles, readFiles, removeTree, writeSnapshot, type TreeEntry } from "../adapters/local-tree.ts";

export interface Revision {
  /** A commit SHA; for a local directory with uncommitted edits `<sha>-dirty-<hash>`, outside git `local-<hash>`. */
  sha: string;
  /** A tree holding exactly this revision. Read-only; it stays until `keep` newer revisions have been fetched. */
  dir: string;
}

export interface SourceStatus {
  /** The last revision fetched successfully (whether it is valid is the reconciler's call). */
  lastGood?: Revision;
  lastSuccessAt?: Date;
  lastErrorAt?: Date;
  /** Message of the last failure (credentials redacted). */
  lastError?: string;
  /** Set while failing: the first failure since the last success. */
  staleSince?: Date;
}

export interface GitSource {
  readonly kind: "remote" | "local";
  /** The URL (credentials redacted) or the absolute directory. */
  readonly location: string;
  /** The directory to watch for edits (local sources only). */
  readonly watchPath?: string;
  /** The ref followed, as given (--ref); absent: the remote's default branch (or a local directory's files). */
  readonly ref?: string;
  /** Fetches the current revision. Calls are serialised. Git failures throw GitError. */
  fetch(): Promise<Revision>;
  status(): SourceStatus;
  /** Waits for a running fetch; the cache stays on disk for the next start. */
  close(): Promise<void>;
}

export interface SourceOptions {
  /** Branch, tag or full commit SHA; default the remote's default branch. With a local path, fetches that ref from it. */
  ref?: string;
  /** Where clones and snapshots live; default `defaultCacheDir()`. */
  cacheDir?: string;
  /** How many revision trees to keep on disk (at least 2: the current and the previous). */
  keep?: number;
  git?: GitClient;
  now?: () => Date;
  /** A token for an http(s) remote (--git-token-file), read again before each fetch. */
  credentials?: TokenFileCredentials;
}

const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SCP_LIKE = /^[^/\s:]+@[^/\s:]+:/; // git@github.com:org/repo.git

/** True for what git treats as a URL rather than a path. */
export function isGitUrl(src: string): boolean {
  return URL_LIKE.test(src) || SCP_LIKE.test(src);
}

// A source or ref that git could read as an option (`--upload-pack=…`), or a
// URL whose host or user ssh could (`ssh://-oProxyCommand=…`). git.ts also puts
// `--` before every positional argument; this refuses them with a message.
function optionLike(src: string): boolean {
  if (src.startsWith("-")) return true;
  const authority = URL_LIKE.test(src) ? src.replace(URL_LIKE, "").split("/")[0] : SCP_LIKE.test(src) ? src.split(":")[0] : undefined;
  return authority !== undefined && authority.split("@").some((part) => part.startsWith("-"));
}

/** Refuses a `--source` or `--ref` that git would take for an option. */
export function checkSourceArgs(src: string, ref?: string): void {
  if (optionLike(src)) {
    throw new UsageError(
      `--source ${JSON.stringify(src)}: looks like a command-line option, not a directory or git URL; give a directory (./defs, /srv/defs) or a URL (file://, https://, ssh://, git@host:org/repo.git) whose host and user do not start with "-"`,
    );
  }
  if (ref?.startsWith("-")) {
    throw new UsageError(`--ref ${JSON.stringify(ref)}: a ref cannot start with "-"; give a branch (main), a tag (v1.2.0) or a full 40-character commit SHA`);
  }
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "berth", "sources");
}

/** A stable, content-only id of a set of files: sha256 over sorted (path, length, bytes); a symlink counts as its target text. */
export function contentHash(files: ReadonlyMap<string, TreeEntry>): string {
  const h = createHash("sha256");
  for (const path of [...files.keys()].sort()) {
    const entry = files.get(path) as TreeEntry;
    if (isSymlinkEntry(entry)) h.update(`${path}\0link\0${entry.link}\0`);
    else h.update(`${path}\0${entry.length}\0`).update(entry);
  }
  return h.digest("hex");
}

/**
 * Opens `src`: a URL (file://, https://, ssh://, scp-like) or a bare repository
 * path is fetched as a remote; a directory is watched as a local tree, unless
 * `ref` is given — then the committed ref is fetched from it like a remote.
 */
export async function openSource(src: string, opts: SourceOptions = {}): Promise<GitSource> {
  checkSourceArgs(src, opts.ref);
  const git = opts.git ?? createGitClient();
  const o = { ...opts, git, cacheDir: opts.cacheDir ?? defaultCacheDir() };
  if (opts.credentials) await checkCredentials(src, opts.credentials);
  if (isGitUrl(src)) return createRemoteSource(src, o);
  const path = resolve(src);
  if (!(await isDirectory(path))) {
    throw new UsageError(`--source ${src}: no such directory; give a directory or a git URL (file://, https://, ssh://)`);
  }
  if (opts.ref !== undefined || (await git.isBareRepo(path))) return createRemoteSource(path, o);
  return createLocalSource(path, o);
}

// A token is for an http(s) remote only, and refused beside credentials in the
// URL (two answers to "who is berth?"). The file is read once here so a
// missing or empty one stops the command before anything runs.
async function checkCredentials(src: string, credentials: TokenFileCredentials): Promise<void> {
  if (httpOrigin(src) === undefined) {
    throw new UsageError(
      `${GIT_TOKEN_FILE_FLAG} is for an http:// or https:// --source; ${redactCredentials(src)} is not one (an ssh remote authenticates with ssh keys or ssh-agent, a directory or file:// needs none)`,
    );
  }
  if (hasUrlCredentials(src)) {
    throw new UsageError(`--source ${redactCredentials(src)} carries credentials in the URL as well as ${GIT_TOKEN_FILE_FLAG}; give the URL without user:password@ and the token in the file`);
  }
  await readTokenFile(credentials.tokenFile);
}

type Resolved = SourceOptions & { git: GitClient; cacheDir: string };

function keyOf(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

/** Tracks success/failure times and serialises fetches. */
function tracked(now: () => Date, fetchOnce: () => Promise<Revision>) {
  const st: SourceStatus = {};
  let chain: Promise<unknown> = Promise.resolve();
  const fetch = (): Promise<Revision> => {
    const p = chain.then(async () => {
      try {
        const rev = await fetchOnce();
        Object.assign(st, { lastGood: rev, lastSuccessAt: now(), staleSince: undefined });
        return rev;
      } catch (e) {
        const at = now();
        Object.assign(st, { lastErrorAt: at, lastError: redactCredentials(e instanceof Error ? e.message : String(e)) });
        st.staleSince ??= at;
        throw e;
      }
    });
    chain = p.catch(() => undefined);
    return p;
  };
  return { fetch, status: (): SourceStatus => ({ ...st }), close: async () => void (await chain) };
}

/** Remembers the last `keep` distinct revision ids, newest last. */
function recentList(keep: number) {
  const ids: string[] = [];
  return {
    add(id: string): void {
      const i = ids.indexOf(id);
      if (i >= 0) ids.splice(i, 1);
      ids.push(id);
      if (ids.length > keep) ids.shift();
    },
    has: (id: string): boolean => ids.includes(id),
  };
}

/**
 * A remote: one bare repository per (URL, ref) in the cache, fetched shallow;
 * each commit is checked out into its own work tree `revs/<sha>`, so the
 * previous revision's tree stays intact while a new one is validated.
 */
export function createRemoteSource(url: string, opts: Resolved): GitSource {
  const { git } = opts;
  const ref = opts.ref ?? "HEAD"; // HEAD of a remote is its default branch
  const root = join(opts.cacheDir, `remote-${keyOf(redactCredentials(url), ref)}`);
  const repo = join(root, "repo.git");
  const revs = join(root, "revs");
  const recent = recentList(Math.max(2, opts.keep ?? 3));

  let latest: string | undefined; // the sha this instance last returned

  async function fetchOnce(): Promise<Revision> {
    if (latest === undefined) await git.initBare(repo);
    const credentials = opts.credentials
      ? { username: opts.credentials.username, token: await readTokenFile(opts.credentials.tokenFile) }
      : undefined;
    const sha = credentials ? await git.fetchCommit(repo, url, ref, { credentials }) : await git.fetchCommit(repo, url, ref);
    const dir = join(revs, sha);
    if (sha === latest) return { sha, dir }; // nothing new: one git fetch, one rev-parse
    // A tree left by an earlier run (or a crash mid-checkout) is checked before reuse.
    if (!recent.has(sha) && (await git.cleanCheckout(dir)) !== sha) {
      await git.removeWorktree(repo, dir);
      await git.addWorktree(repo, dir, sha);
    }
    recent.add(sha);
    for (const path of await git.listWorktrees(repo)) {
      if (resolve(path, "..") === resolve(revs) && !recent.has(path.slice(revs.length + 1))) {
        await git.removeWorktree(repo, path);
      }
    }
    latest = sha;
    return { sha, dir };
  }

  const t = tracked(opts.now ?? (() => new Date()), fetchOnce);
  return { kind: "remote", location: redactCredentials(url), ...(opts.ref !== undefined ? { ref: opts.ref } : {}), ...t };
}

/**
 * A local directory (a deployer's laptop). Each revision is a snapshot copy in
 * the cache rather than the directory itself: the content then matches its id
 * exactly, and stays put while berth validates and applies it even if the
 * deployer keeps saving. Hidden entries are left out, as the loader skips them.
 * Symlinks are copied as links, never followed (see adapters/local-tree.ts), so
 * nothing outside `dir` is read into a snapshot.
 */
export function createLocalSource(dir: string, opts: Resolved): GitSource {
  const { git } = opts;
  const revs = join(opts.cacheDir, `local-${keyOf(dir)}`, "revs");
  const recent = recentList(Math.max(2, opts.keep ?? 3));

  async function fetchOnce(): Promise<Revision> {
    const state = await git.workTreeState(dir);
    const visible = (f: string): boolean => !f.split("/").some((p) => p.startsWith("."));
    const files = (state ? state.files : await listFiles(dir)).filter(visible);
    const contents = await readFiles(dir, files);
    const hash = contentHash(contents).slice(0, 12);
    const sha =
      state?.head === undefined ? `local-${hash}` : state.dirty ? `${state.head}-dirty-${hash}` : state.head;
    const out = join(revs, sha);
    if (!recent.has(sha)) {
      await writeSnapshot(out, contents);
      recent.add(sha);
      for (const name of await listDirs(revs)) if (!recent.has(name)) await removeTree(join(revs, name));
    } else {
      recent.add(sha);
    }
    return { sha, dir: out };
  }

  const t = tracked(opts.now ?? (() => new Date()), fetchOnce);
  return { kind: "local", location: dir, watchPath: dir, ...t };
}
