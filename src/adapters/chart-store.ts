// Charts written to disk for helm, once per content: berth's generated charts
// and charts committed to git (directories, or their .tgz bytes).
import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RenderedChart } from "../model/types.ts";

export interface ChartStore {
  dirFor(chart: RenderedChart): Promise<string>;
  /** A chart directory of these files (a chart from git), named by its content digest. */
  dirForFiles(digest: string, files: ReadonlyMap<string, Buffer>): Promise<string>;
  /** A packaged chart (a .tgz from git), named by its content digest. */
  archiveFor(digest: string, bytes: Buffer): Promise<string>;
}

const safe = (digest: string) => digest.replace(/[^A-Za-z0-9]/g, "-");

export function createChartStore(root: string): ChartStore {
  const ready = new Map<string, Promise<string>>();
  const once = (path: string, write: (tmp: string) => Promise<void>) => {
    let p = ready.get(path);
    if (!p) {
      p = writeOnce(path, write);
      ready.set(path, p);
    }
    return p;
  };
  const writeFiles = (files: Iterable<[string, string | Buffer]>) => async (tmp: string) => {
    for (const [p, body] of files) {
      await mkdir(dirname(join(tmp, p)), { recursive: true });
      await writeFile(join(tmp, p), body);
    }
  };
  return {
    dirFor(chart) {
      const hash = createHash("sha256");
      for (const p of Object.keys(chart.files).sort()) hash.update(p).update("\0").update(chart.files[p]!).update("\0");
      return once(join(root, `${chart.name}-${chart.version}-${hash.digest("hex").slice(0, 12)}`), writeFiles(Object.entries(chart.files)));
    },
    dirForFiles(digest, files) {
      return once(join(root, `git-${safe(digest)}`), writeFiles(files));
    },
    archiveFor(digest, bytes) {
      return once(join(root, `git-${safe(digest)}.tgz`), (tmp) => writeFile(tmp, bytes));
    },
  };
}

/** Writes beside and renames, so a crash never leaves a half chart under the final name. */
async function writeOnce(path: string, write: (tmp: string) => Promise<void>): Promise<string> {
  if (await stat(path).then(() => true, () => false)) return path;
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  // the store's root may not exist yet (a fresh --cache-dir whose first chart is a .tgz from git)
  await mkdir(dirname(path), { recursive: true });
  await write(tmp);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!(await stat(path).then(() => true, () => false))) throw err;
  }
  return path;
}
