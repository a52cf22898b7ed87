// File-system side of the local-directory source: list, read and snapshot a
// deployer's definitions directory. Only plain files are taken; hidden entries
// (.git, .idea, .env…) are skipped, as the model loader skips them.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Every plain file under `root`, hidden entries skipped, as sorted `/`-separated relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out.push(path);
    }
  }
  await walk("");
  return out.sort();
}

/** Reads `files` under `root`; a file that vanished since it was listed is left out. */
export async function readFiles(root: string, files: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of files) {
    try {
      out.set(f, await readFile(join(root, f)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" && (e as NodeJS.ErrnoException).code !== "EISDIR") throw e;
    }
  }
  return out;
}

/**
 * Writes `files` as a new directory `dest`. They go to a temporary sibling
 * first and are renamed into place, so `dest` is never seen half-written.
 */
export async function writeSnapshot(dest: string, files: ReadonlyMap<string, Buffer>): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  for (const [f, data] of files) {
    await mkdir(dirname(join(tmp, f)), { recursive: true });
    await writeFile(join(tmp, f), data);
  }
  await mkdir(tmp, { recursive: true }); // an empty directory is a valid snapshot too
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
}

export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Names of the sub-directories of `dir` ([] when it does not exist). */
export async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
