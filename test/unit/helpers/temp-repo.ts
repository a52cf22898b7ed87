// Temporary definitions repositories on disk, and the real CLI run on them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runBerth } from "../../support/cli.ts";

export type RepoFiles = Record<string, string | null>;

/** Writes `files` (null = leave out) into a new temporary directory. */
export function writeRepo(files: RepoFiles): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-repo-"));
  for (const [path, text] of Object.entries(files)) {
    if (text === null) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

export function removeRepo(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs `berth <args>` in-process and captures its output. */
export async function runCli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runBerth(args, cwd);
  return { code: r.code, stdout: r.out, stderr: r.err };
}

/** `base` with `from` replaced by `to` in one file; fails loudly if `from` is not there. */
export function edit(base: RepoFiles, path: string, from: string, to: string): RepoFiles {
  const text = base[path];
  if (typeof text !== "string" || !text.includes(from)) throw new Error(`fixture ${path} has no ${JSON.stringify(from)}`);
  return { [path]: text.replace(from, to) };
}
