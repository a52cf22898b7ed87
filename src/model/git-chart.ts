// A chart committed to the definitions repository (`spec.chart.path`): a chart
// directory or a packaged .tgz. Read like every other file of the tree:
// nothing outside it, whatever its symlinks say, and bounded in size.
import { createHash } from "node:crypto";
import { lstat, readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { resolveInside } from "../adapters/inside-root.ts";
import { chartFacts, readChartArchive, type ChartFacts } from "../adapters/charts/archive.ts";

/** A chart as read from git: its files (chart root relative), content digest and what Chart.yaml and values say. */
export interface GitChart {
  files: Map<string, Buffer>;
  /** `sha256:<hex>`: of the .tgz bytes, or of the directory's sorted (path, bytes). */
  digest: string;
  /** The .tgz bytes when the chart was committed packaged. */
  archive?: Buffer;
  facts: ChartFacts;
}

const MAX_FILES = 5_000;
const MAX_BYTES = 50 * 1024 * 1024;

export async function readGitChart(realRoot: string, path: string): Promise<GitChart | { error: string }> {
  const where = await resolveInside(realRoot, join(realRoot, ...path.split("/")));
  if ("missing" in where) return { error: `${path} does not exist` };
  // the target is never opened, so nothing of it reaches the chart or this message
  if ("outside" in where) return { error: `${path} is a symlink leading outside the repository; charts must live inside it` };
  const st = await lstat(where.real);
  try {
    if (st.isFile()) {
      if (!/\.tgz$/.test(path)) return { error: `${path} is a file; give a chart directory (with Chart.yaml) or a packaged .tgz` };
      if (st.size > MAX_BYTES) return { error: `${path} is ${st.size} bytes, over the limit of ${MAX_BYTES}` };
      const archive = await readFile(where.real);
      const files = readChartArchive(archive);
      return { files, archive, digest: `sha256:${createHash("sha256").update(archive).digest("hex")}`, facts: chartFacts(files) };
    }
    if (!st.isDirectory()) return { error: `${path} is neither a chart directory nor a .tgz` };
    const files = await readTree(where.real);
    if ("error" in files) return { error: `${path}: ${files.error}` };
    const hash = createHash("sha256");
    for (const p of [...files.keys()].sort()) hash.update(p).update("\0").update(files.get(p)!).update("\0");
    return { files, digest: `sha256:${hash.digest("hex")}`, facts: chartFacts(files) };
  } catch (err) {
    return { error: `${path}: ${(err as Error).message}` };
  }
}

/** Every regular file below `dir`; symlinks are never followed (they could lead out), `.git` and hidden VCS folders skipped as Helm's .helmignore default does. */
async function readTree(dir: string): Promise<Map<string, Buffer> | { error: string }> {
  const files = new Map<string, Buffer>();
  let bytes = 0;
  const walk = async (d: string): Promise<string | undefined> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name === ".git") continue;
        const bad = await walk(full);
        if (bad) return bad;
      } else if (e.isFile()) {
        const buf = await readFile(full);
        bytes += buf.length;
        files.set(relative(dir, full).split(sep).join("/"), buf);
        if (files.size > MAX_FILES) return `more than ${MAX_FILES} files`;
        if (bytes > MAX_BYTES) return `more than ${MAX_BYTES} bytes`;
      }
    }
    return undefined;
  };
  const bad = await walk(dir);
  return bad ? { error: bad } : files;
}
