// Checks a git revision out into a temporary directory with `git archive`,
// so rendering an old commit never touches the work tree or the index.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { BerthError, UsageError } from "../errors.ts";

export interface Snapshot {
  /** The directory inside the snapshot that corresponds to `dir`. */
  dir: string;
  /** The commit `rev` names. */
  commit: string;
  dispose(): Promise<void>;
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const r = await execa("git", args, { cwd });
    return r.stdout.trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new BerthError("GIT_FAILED", `git ${args.join(" ")} in ${cwd} failed${stderr ? `: ${stderr}` : ""}`, { cause: err });
  }
}

/** Extracts `rev` of the repository holding `dir`; `dir` may be a subfolder. */
export async function snapshotRevision(dir: string, rev: string, flag = "revision"): Promise<Snapshot> {
  if (!(await stat(dir).catch(() => undefined))?.isDirectory()) throw new UsageError(`${dir} is not a directory; give the definitions repository's folder`);
  const top = await git(dir, ["rev-parse", "--show-toplevel"]).catch(() => {
    throw new UsageError(`${flag} ${rev}: ${dir} is not inside a git work tree; run berth diff in a clone of the definitions repository`);
  });
  const prefix = await git(dir, ["rev-parse", "--show-prefix"]);
  const commit = await git(top, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`]).catch(() => {
    throw new UsageError(`${flag} ${rev}: no such commit in ${top}; give a branch, tag or commit SHA (git log --oneline lists them)`);
  });
  const tmp = await mkdtemp(join(tmpdir(), "berth-rev-"));
  try {
    await execa("git", ["archive", "--format=tar", commit], { cwd: top }).pipe("tar", ["-x", "-C", tmp]);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new BerthError("GIT_FAILED", `could not extract revision ${rev} (${commit}) of ${top}`, { cause: err });
  }
  return { dir: join(tmp, prefix), commit, dispose: () => rm(tmp, { recursive: true, force: true }) };
}
