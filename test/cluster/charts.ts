/**
 * Real third-party Helm charts for tests, taken from Go module zips (the Go
 * module proxy is the only network the tests may use) and packaged once with
 * `helm package` into ~/.cache/berth/charts/<key>/, where <key> hashes
 * CHART_SOURCES (every module and chart version is pinned there).
 *
 *   const charts = await ensureCharts(inject("binaries"));
 *   charts["metrics-server@3.13.1"]   // absolute path of metrics-server-3.13.1.tgz
 *
 * Serve them with startChartRepo (chart-repo.ts, a Helm HTTP repository) or
 * startRegistry (registry.ts, an OCI registry); both are re-exported here.
 */
import { createHash } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { cacheDir, type Binaries } from "./binaries.ts";

export { startChartRepo, type ChartRepo, type ChartRepoOptions, type BasicAuth } from "./chart-repo.ts";
export { startRegistry, type Registry, type RegistryOptions } from "./registry.ts";

export interface ChartSource {
  /** Go module and version whose zip holds the chart. */
  module: string;
  moduleVersion: string;
  /** Chart directory inside the module. */
  path: string;
  name: string;
  version: string;
  /** Why tests use it. */
  purpose: string;
}

export const CHART_SOURCES: readonly ChartSource[] = [
  {
    module: "sigs.k8s.io/metrics-server", moduleVersion: "v0.8.0", path: "charts/metrics-server",
    name: "metrics-server", version: "3.12.2", purpose: "a small chart; the older of two versions (upgrades)",
  },
  {
    module: "sigs.k8s.io/metrics-server", moduleVersion: "v0.9.0", path: "charts/metrics-server",
    name: "metrics-server", version: "3.13.1", purpose: "the newer of two versions",
  },
  {
    // k8s.io/ingress-nginx (chart 4.11.0) is refused by the proxy at every version (403), so
    // kyverno stands in: its chart says `kubeVersion: ">=1.25.0-0"` and vendors its subcharts.
    module: "github.com/kyverno/kyverno", moduleVersion: "v1.12.5", path: "charts/kyverno",
    name: "kyverno", version: "3.2.6", purpose: "a kubeVersion constraint (>=1.25.0-0) and local subcharts",
  },
  {
    module: "github.com/open-policy-agent/gatekeeper/v3", moduleVersion: "v3.23.1", path: "charts/gatekeeper",
    name: "gatekeeper", version: "3.23.1", purpose: "CRDs in crds/",
  },
];

/** Packaged charts: absolute .tgz path by `name@version`. */
export type PackagedCharts = Record<string, string>;

export function chartRef(source: Pick<ChartSource, "name" | "version">): string {
  return `${source.name}@${source.version}`;
}

/** Where the packaged charts of these sources live. */
export function chartsDir(sources: readonly ChartSource[] = CHART_SOURCES): string {
  const key = createHash("sha256").update(JSON.stringify(sources)).digest("hex").slice(0, 12);
  return join(cacheDir(), "charts", key);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

interface DownloadedModule {
  Path: string;
  Version: string;
  Dir?: string;
  Error?: string;
}

/** `go mod download -json` prints one JSON object per module, back to back. */
function parseDownloads(stdout: string): DownloadedModule[] {
  return stdout
    .split(/\n}\n?/)
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => JSON.parse(`${chunk}\n}`) as DownloadedModule);
}

async function downloadModules(sources: readonly ChartSource[]): Promise<Map<string, string>> {
  const wanted = [...new Set(sources.map((s) => `${s.module}@${s.moduleVersion}`))];
  // Outside any module, so the repository's own go.mod (if any) plays no part.
  const result = await execa("go", ["mod", "download", "-json", ...wanted], { cwd: tmpdir(), reject: false });
  const dirs = new Map<string, string>();
  for (const mod of parseDownloads(result.stdout)) {
    if (mod.Error !== undefined || mod.Dir === undefined) {
      throw new Error(`go mod download ${mod.Path}@${mod.Version}: ${mod.Error ?? "no Dir"}`);
    }
    dirs.set(`${mod.Path}@${mod.Version}`, mod.Dir);
  }
  if (result.exitCode !== 0 && dirs.size < wanted.length) {
    throw new Error(`go mod download ${wanted.join(" ")} failed: ${result.stderr}`);
  }
  return dirs;
}

async function packageChart(helm: string, chartDir: string, source: ChartSource, into: string): Promise<void> {
  const meta = parse(await readFile(join(chartDir, "Chart.yaml"), "utf8")) as { name?: string; version?: string };
  if (meta.name !== source.name || String(meta.version) !== source.version) {
    throw new Error(`${chartDir}/Chart.yaml is ${meta.name}@${meta.version}, expected ${chartRef(source)}`);
  }
  // The module cache is read-only; helm only reads it and writes the .tgz to a fresh directory.
  const tmp = await mkdtemp(join(into, ".package-"));
  try {
    await execa(helm, ["package", chartDir, "--destination", tmp]);
    const file = `${source.name}-${source.version}.tgz`;
    // rename is atomic: a parallel worker never sees half a chart
    await rename(join(tmp, file), join(into, file));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Returns the packaged charts, downloading their modules and running
 * `helm package` only for the ones missing from the cache.
 */
export async function ensureCharts(
  binaries: Pick<Binaries, "helm">,
  sources: readonly ChartSource[] = CHART_SOURCES,
): Promise<PackagedCharts> {
  const dir = chartsDir(sources);
  const paths = Object.fromEntries(sources.map((s) => [chartRef(s), join(dir, `${s.name}-${s.version}.tgz`)]));
  const missing: ChartSource[] = [];
  for (const source of sources) if (!(await exists(paths[chartRef(source)]!))) missing.push(source);
  if (missing.length === 0) return paths;
  await mkdir(dir, { recursive: true });
  const modules = await downloadModules(missing);
  for (const source of missing) {
    const moduleDir = modules.get(`${source.module}@${source.moduleVersion}`);
    if (moduleDir === undefined) throw new Error(`go mod download did not report ${source.module}@${source.moduleVersion}`);
    await packageChart(binaries.helm, join(moduleDir, source.path), source, dir);
  }
  return paths;
}
