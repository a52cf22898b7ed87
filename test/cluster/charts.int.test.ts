import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isAlive } from "./processes.ts";
import { CHART_SOURCES, ensureCharts, startChartRepo, startRegistry, type ChartRepo, type PackagedCharts, type Registry } from "./charts.ts";

const binaries = inject("binaries");
const HELMS = [
  ["helm 4", binaries.helm],
  ["helm 3", binaries.helm3],
] as const;

let work: string;
let charts: PackagedCharts;
let env: Record<string, string>;

/** Runs helm with its config, cache and data in this file's scratch directory. */
function helm(bin: string, args: string[], cwd = work) {
  return execa(bin, args, { cwd, env, reject: false });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "berth-charts-test-"));
  env = { HELM_CONFIG_HOME: join(work, "config"), HELM_CACHE_HOME: join(work, "cache"), HELM_DATA_HOME: join(work, "data") };
  charts = await ensureCharts(binaries);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("ensureCharts", () => {
  it("packages every pinned chart once, then answers from the cache", async () => {
    expect(Object.keys(charts).sort()).toEqual(CHART_SOURCES.map((s) => `${s.name}@${s.version}`).sort());
    const started = Date.now();
    expect(await ensureCharts(binaries)).toEqual(charts);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it.each(HELMS)("kyverno says kubeVersion >=1.25 and renders without a cluster (%s)", async (_, bin) => {
    const chart = await helm(bin, ["show", "chart", charts["kyverno@3.2.6"]!]);
    expect(chart.stdout).toMatch(/^kubeVersion: ['"]?>=1\.25\.0-0/m);
    const rendered = await helm(bin, ["template", "kyverno", charts["kyverno@3.2.6"]!, "--namespace", "kyverno"]);
    expect(rendered.stderr).not.toContain("incompatible with Kubernetes");
    expect(rendered.exitCode).toBe(0);
    expect(rendered.stdout).toContain("kind: Deployment");
  });

  it.each(HELMS)("gatekeeper's chart carries its CRDs in crds/ (%s)", async (_, bin) => {
    const crds = await helm(bin, ["show", "crds", charts["gatekeeper@3.23.1"]!]);
    expect(crds.exitCode).toBe(0);
    expect(crds.stdout).toContain("kind: CustomResourceDefinition");
    expect(crds.stdout).toContain("name: constrainttemplates.templates.gatekeeper.sh");
  });
});

describe("startChartRepo", () => {
  let open: ChartRepo;
  let locked: ChartRepo;
  const auth = { username: "berth", password: "s3cret" };

  beforeAll(async () => {
    const metrics = [charts["metrics-server@3.12.2"]!, charts["metrics-server@3.13.1"]!];
    open = await startChartRepo({ helm: binaries.helm, charts: metrics });
    locked = await startChartRepo({ helm: binaries.helm, charts: metrics, auth });
  });

  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
  });

  it.each(HELMS)("serves index.yaml and charts to helm pull and show (%s)", async (name, bin) => {
    const shown = await helm(bin, ["show", "chart", "metrics-server", "--repo", open.url, "--version", "3.12.2"]);
    expect(shown.stderr).toBe("");
    expect(shown.stdout).toContain("version: 3.12.2");
    const dest = join(work, `pull-${name.replace(" ", "")}`);
    await mkdir(dest);
    const pulled = await helm(bin, ["pull", "metrics-server", "--repo", open.url, "--version", "3.13.1", "--destination", dest]);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(await readdir(dest)).toEqual(["metrics-server-3.13.1.tgz"]);
    expect(open.requests).toContain("GET /index.yaml 200");
    expect(open.requests).toContain("GET /metrics-server-3.13.1.tgz 200");
  });

  it.each(HELMS)("with basic auth: the right credentials pass, wrong or none are refused (%s)", async (_, bin) => {
    const args = ["show", "chart", "metrics-server", "--repo", locked.url, "--version", "3.13.1"];
    const right = await helm(bin, [...args, "--username", auth.username, "--password", auth.password]);
    expect(right.exitCode, right.stderr).toBe(0);
    expect(right.stdout).toContain("version: 3.13.1");
    const wrong = await helm(bin, [...args, "--username", auth.username, "--password", "nope"]);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/401/);
    const none = await helm(bin, args);
    expect(none.exitCode).not.toBe(0);
    expect(none.stderr).toMatch(/401/);
  });

  it("serves nothing outside its directory", async () => {
    const res = await fetch(`${open.url}/..%2Fetc%2Fpasswd.yaml`);
    expect(res.status).toBe(404);
    const index = await fetch(`${open.url}/index.yaml`);
    expect(index.headers.get("content-type")).toBe("application/x-yaml");
  });
});

describe("startRegistry", () => {
  let registry: Registry;

  beforeAll(async () => {
    registry = await startRegistry({ binaries, charts: [charts["metrics-server@3.13.1"]!, charts["gatekeeper@3.23.1"]!] });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it.each(HELMS)("serves pushed charts to helm pull oci:// (%s)", async (name, bin) => {
    const dest = join(work, `oci-${name.replace(" ", "")}`);
    await mkdir(dest);
    const pulled = await helm(bin, ["pull", `${registry.url}/metrics-server`, "--version", "3.13.1", "--plain-http", "--destination", dest]);
    expect(pulled.exitCode, pulled.stderr).toBe(0);
    expect(await readdir(dest)).toEqual(["metrics-server-3.13.1.tgz"]);
    const shown = await helm(bin, ["show", "chart", `${registry.url}/gatekeeper`, "--version", "3.23.1", "--plain-http"]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("name: gatekeeper");
  });

  it("accepts a push after start and leaves nothing behind when stopped", async () => {
    await registry.push(charts["kyverno@3.2.6"]!);
    const shown = await helm(binaries.helm, ["show", "chart", `${registry.url}/kyverno`, "--version", "3.2.6", "--plain-http"]);
    expect(shown.exitCode, shown.stderr).toBe(0);
    const other = await startRegistry({ binaries });
    const state = JSON.parse(await readFile(join(other.dataDir, "state.json"), "utf8")) as { pids: { registry: number } };
    expect(isAlive(state.pids.registry)).toBe(true);
    await other.stop();
    expect(isAlive(state.pids.registry)).toBe(false);
    await expect(readdir(other.dataDir)).rejects.toThrow(/ENOENT/);
  });
});
