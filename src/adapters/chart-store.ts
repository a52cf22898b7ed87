// Rendered charts written to disk for helm, once per content.
import { createHash } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RenderedChart } from "../model/types.ts";

export interface ChartStore {
  dirFor(chart: RenderedChart): Promise<string>;
}

export function createChartStore(root: string): ChartStore {
  const ready = new Map<string, Promise<string>>();
  return {
    dirFor(chart) {
      const hash = createHash("sha256");
      for (const p of Object.keys(chart.files).sort()) hash.update(p).update("\0").update(chart.files[p]!).update("\0");
      const dir = join(root, `${chart.name}-${chart.version}-${hash.digest("hex").slice(0, 12)}`);
      let p = ready.get(dir);
      if (!p) {
        p = writeOnce(dir, chart);
        ready.set(dir, p);
      }
      return p;
    },
  };
}

async function writeOnce(dir: string, chart: RenderedChart): Promise<string> {
  if (await stat(dir).then(() => true, () => false)) return dir;
  // Written beside and renamed, so a crash never leaves a half chart under the final name.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  for (const [p, text] of Object.entries(chart.files)) {
    await mkdir(dirname(join(tmp, p)), { recursive: true });
    await writeFile(join(tmp, p), text);
  }
  try {
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (!(await stat(dir).then(() => true, () => false))) throw err;
  }
  return dir;
}
