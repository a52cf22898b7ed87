// The one rule every reader of a definitions tree follows: nothing outside the
// tree is read, whatever its symlinks say. The loader (templates a definition
// names) and the local-directory source (files it snapshots) both decide
// "inside?" here, on paths with every symlink resolved.
import { realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { isAbsolute, relative, sep } from "node:path";

/** True when `path` is `root` or below it. Both must already be real paths (no symlinks left). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Where `path` leads once every symlink on the way is followed, judged against the real root. */
export type Resolved = { real: string } | { missing: true } | { outside: string };

function judge(realRoot: string, real: string): Resolved {
  return isInside(realRoot, real) ? { real } : { outside: real };
}

/** Resolves `path` (which may be a symlink or pass through one) and says whether it stays inside `realRoot`. */
export async function resolveInside(realRoot: string, path: string): Promise<Resolved> {
  const real = await realpath(path).catch(() => undefined);
  return real === undefined ? { missing: true } : judge(realRoot, real);
}

/** `resolveInside`, synchronously (the model's template reader is synchronous). */
export function resolveInsideSync(realRoot: string, path: string): Resolved {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return { missing: true };
  }
  return judge(realRoot, real);
}
