// Real git repositories for tests: a bare "remote" plus a work clone through
// which trees of files are committed and pushed, all with the system's git.
import { mkdtemp, mkdir, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { simpleGit, type SimpleGit } from "simple-git";

export interface GitFixture {
  /** Path of the bare repository. */
  bareDir: string;
  /** file:// URL of the bare repository, what berth is given as --source. */
  url: string;
  /** Work clone used to make commits. */
  workDir: string;
  /** The default branch. */
  branch: string;
}

export interface CreateBareRepoOptions {
  /** Parent folder; default a new temp dir. */
  baseDir?: string;
  /** Default branch, default "main". */
  branch?: string;
}

export interface CommitOptions {
  message?: string;
  /** Branch to commit on and push; created from the current one if new. Default: the fixture's branch. */
  branch?: string;
  /** Replace the whole tree (delete files not given) instead of adding to it. */
  replace?: boolean;
  /** Tag to create on the new commit and push. */
  tag?: string;
}

/** Files to write, by path relative to the repository root; null deletes the file. */
export type FileTree = Record<string, string | null>;

const IDENTITY = ["user.name=berth test", "user.email=test@berth.invalid", "commit.gpgsign=false", "tag.gpgsign=false"];

function git(dir: string): SimpleGit {
  return simpleGit({ baseDir: dir, config: IDENTITY });
}

/** Creates an empty bare repository and a work clone of it. */
export async function createBareRepo(options: CreateBareRepoOptions = {}): Promise<GitFixture> {
  const base = options.baseDir ?? (await mkdtemp(join(tmpdir(), "berth-git-")));
  const branch = options.branch ?? "main";
  const bareDir = join(base, "remote.git");
  const workDir = join(base, "work");
  await mkdir(bareDir, { recursive: true });
  await git(bareDir).raw(["init", "--bare", `--initial-branch=${branch}`]);
  await mkdir(workDir, { recursive: true });
  await git(workDir).raw(["init", `--initial-branch=${branch}`]);
  await git(workDir).addRemote("origin", bareDir);
  return { bareDir, url: pathToFileURL(bareDir).href, workDir, branch };
}

function insideRoot(root: string, path: string): string {
  const full = resolve(root, path);
  if (!full.startsWith(root + sep) || full.includes(`${sep}.git${sep}`)) {
    throw new Error(`file path ${path} escapes the repository`);
  }
  return full;
}

async function clearTree(workDir: string): Promise<void> {
  for (const entry of await readdir(workDir)) {
    if (entry !== ".git") await rm(join(workDir, entry), { recursive: true, force: true });
  }
}

/** Writes `files`, commits them and pushes; returns the new commit's sha. */
export async function commitFiles(fixture: GitFixture, files: FileTree, options: CommitOptions = {}): Promise<string> {
  const repo = git(fixture.workDir);
  const branch = options.branch ?? fixture.branch;
  const branches = await repo.branchLocal();
  if (branches.all.length > 0 && branches.current !== branch) {
    await (branches.all.includes(branch) ? repo.checkout(branch) : repo.checkoutLocalBranch(branch));
  } else if (branches.all.length === 0 && branch !== fixture.branch) {
    await repo.raw(["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
  }
  if (options.replace) await clearTree(fixture.workDir);
  for (const [path, content] of Object.entries(files)) {
    const full = insideRoot(fixture.workDir, path);
    if (content === null) {
      await rm(full, { force: true });
    } else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
  await repo.add(["-A", "."]);
  await repo.commit(options.message ?? `update ${Object.keys(files).sort().join(", ")}`, undefined, {
    "--allow-empty": null,
  });
  const sha = (await repo.revparse(["HEAD"])).trim();
  await repo.push("origin", branch, ["--set-upstream"]);
  if (options.tag !== undefined) {
    await repo.addTag(options.tag);
    await repo.push("origin", `refs/tags/${options.tag}`);
  }
  return sha;
}

/** Deletes the bare repo and the work clone, and their parent when that is left empty. */
export async function removeRepo(fixture: GitFixture): Promise<void> {
  await rm(fixture.bareDir, { recursive: true, force: true });
  await rm(fixture.workDir, { recursive: true, force: true });
  await rmdir(dirname(fixture.bareDir)).catch(() => undefined);
}
