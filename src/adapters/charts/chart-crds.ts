// The files of a chart's `crds/`, and its subcharts' (unpacked or as .tgz
// under charts/), read from the chart as berth hands it to helm: a directory
// or a `.tgz`. Helm installs the same set: files under `crds/` ending in
// .yaml, .yml or .json.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { readChartArchive } from "./archive.ts";

export interface ChartFile {
  /** Relative to the chart's root, `/`-separated (`crds/widgets.yaml`, `charts/sub/crds/x.yaml`). */
  path: string;
  text: string;
}

const CRD_FILE = /^(charts\/[^/]+\/)*crds\/.+\.(ya?ml|json)$/;
const SUBCHART_ARCHIVE = /^(charts\/[^/]+\/)*charts\/[^/]+\.tgz$/;

/** Whether a chart-relative path is one of the CRD files Helm installs: the chart's own or a subchart's. */
export const isCrdFile = (path: string): boolean => CRD_FILE.test(path);

/** The chart's CRD files, sorted by path; none for a chart without `crds/`. */
export async function readChartCrds(chartPath: string): Promise<ChartFile[]> {
  const files = (await stat(chartPath)).isDirectory() ? await directoryCrds(chartPath) : archiveCrds(await readFile(chartPath));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** CRD files of a chart archive, subchart archives inside it included (under their file name without `.tgz`). */
export function archiveCrds(tgz: Buffer, prefix = ""): ChartFile[] {
  const out: ChartFile[] = [];
  for (const [path, bytes] of readChartArchive(tgz)) out.push(...pick(prefix + path, bytes));
  return out;
}

function pick(path: string, bytes: Buffer): ChartFile[] {
  if (isCrdFile(path)) return [{ path, text: bytes.toString("utf8") }];
  if (SUBCHART_ARCHIVE.test(path)) return archiveCrds(bytes, `${path.slice(0, -".tgz".length)}/`);
  return [];
}

async function directoryCrds(root: string): Promise<ChartFile[]> {
  const out: ChartFile[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(dir, e.name), path);
      else if (e.isFile() && (isCrdFile(path) || SUBCHART_ARCHIVE.test(path))) out.push(...pick(path, await readFile(join(dir, e.name))));
    }
  }
  await walk(root, "");
  return out;
}
