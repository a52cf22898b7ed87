// File-system side of the local-directory source: list, read and snapshot a
// deployer's definitions directory. Hidden entries (.git, .idea, .env…) are
// skipped, as the model loader skips them. Symlinks are never followed: each
// is copied as a link (its target text, never the target's bytes), so the
// snapshot holds what a git checkout of the same tree would, and the loader
// applies its one rule to it (a link leading outside the tree is refused with
// file and line; one inside works as it does in `berth validate DIR`).
import { constants } from "node:fs";
import { lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { resolveInside } from "./inside-root.ts";

/** A symlink as it is stored: where it points, as written (never resolved). */
export interface SymlinkEntry {
  link: string;
}

/** What a snapshot holds at one path: a file's bytes or a symlink. */
export type TreeEntry = Uint8Array | SymlinkEntry;

export function isSymlinkEntry(e: TreeEntry): e is SymlinkEntry {
  return !(e instanceof Uint8Array);
}

/** Every plain file and symlink under `root`, hidden entries skipped, as sorted `/`-separated relative paths. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const path = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path); // a symlink to a folder is not a directory here: not walked
      else if (e.isFile() || e.isSymbolicLink()) out.push(path);
    }
  }
  await walk("");
  return out.sort();
}

const READ_NOFOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Reads `files` under `root`. A file that vanished since it was listed, or is
 * neither a file nor a symlink, is left out; so is one below a folder that is
 * itself a symlink (git lists tracked paths from its index, and `templates/`
 * swapped for a link to `/etc` must not make `templates/hostname` read
 * `/etc/hostname`).
 */
export async function readFiles(root: string, files: readonly string[]): Promise<Map<string, TreeEntry>> {
  const realRoot = await realpath(root);
  const out = new Map<string, TreeEntry>();
  const realDirs = new Map<string, Promise<boolean>>();
  const isRealDir = (dir: string): Promise<boolean> => {
    let hit = realDirs.get(dir);
    if (!hit) {
      // real and inside: resolving it changes nothing, so no folder on the way is a link
      hit = resolveInside(realRoot, dir).then((r) => "real" in r && r.real === dir);
      realDirs.set(dir, hit);
    }
    return hit;
  };
  for (const f of files) {
    const full = join(realRoot, f);
    if (!(await isRealDir(dirname(full)))) continue;
    try {
      const st = await lstat(full);
      if (st.isSymbolicLink()) out.set(f, { link: await readlink(full) });
      // O_NOFOLLOW: a file swapped for a symlink since the lstat is refused, not followed
      else if (st.isFile()) out.set(f, await readFile(full, { flag: READ_NOFOLLOW }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "EISDIR" && code !== "ELOOP" && code !== "ENOTDIR") throw e;
    }
  }
  return out;
}

/**
 * Writes `files` as a new directory `dest`. They go to a temporary sibling
 * first and are renamed into place, so `dest` is never seen half-written.
 */
export async function writeSnapshot(dest: string, files: ReadonlyMap<string, TreeEntry>): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  for (const [f, entry] of files) {
    await mkdir(dirname(join(tmp, f)), { recursive: true });
    if (isSymlinkEntry(entry)) await symlink(entry.link, join(tmp, f));
    else await writeFile(join(tmp, f), entry);
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
