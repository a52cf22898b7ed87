// Real git repositories for tests: a bare "remote" plus a work clone that
// commits and pushes through plain git, as a developer would.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TestRemote {
  root: string;
  /** Path of the bare repository. */
  bare: string;
  /** file:// URL of the bare repository. */
  url: string;
  /** Writes files (null deletes), commits and pushes; returns the new commit SHA. */
  commit(files: Record<string, string | null>, message?: string): string;
  /** Creates an annotated tag at HEAD and pushes it. */
  tag(name: string): void;
  cleanup(): void;
}

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "test",
  GIT_AUTHOR_EMAIL: "test@example.com",
  GIT_COMMITTER_NAME: "test",
  GIT_COMMITTER_EMAIL: "test@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: ENV, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function writeFiles(dir: string, files: Record<string, string | null>): void {
  for (const [f, content] of Object.entries(files)) {
    const p = join(dir, f);
    if (content === null) rmSync(p, { force: true });
    else {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
  }
}

export function tempDir(prefix = "berth-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A bare remote whose default branch is `branch`, with one work clone. */
export function createTestRemote(branch = "main"): TestRemote {
  const root = tempDir("berth-remote-");
  const bare = join(root, "remote.git");
  const work = join(root, "work");
  git(root, "init", "--quiet", "--bare", `--initial-branch=${branch}`, bare);
  git(root, "init", "--quiet", `--initial-branch=${branch}`, work);
  git(work, "remote", "add", "origin", bare);
  return {
    root,
    bare,
    url: `file://${bare}`,
    commit(files, message = "change") {
      writeFiles(work, files);
      git(work, "add", "-A");
      git(work, "commit", "--quiet", "--allow-empty", "-m", message);
      git(work, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
      return git(work, "rev-parse", "HEAD");
    },
    tag(name) {
      git(work, "tag", "-a", "-m", name, name);
      git(work, "push", "--quiet", "origin", `refs/tags/${name}`);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
