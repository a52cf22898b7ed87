// examples/platform rendered against the real metrics-server chart, served by a
// Helm HTTP repository this test starts on loopback (test/cluster/chart-repo.ts,
// the charts packaged by test/cluster/charts.ts), as `npm run demo` serves them
// at 127.0.0.1:8879. The unit golden test loads the example without chart
// sources (its chart releases are unavailable there); this one pins the chart
// releases as the reconciler would install them, in test/golden/platform-charts/.
// There the repository's URL is written as the demo's, and each digest as the
// archive it hashes: `helm package` stamps the time into the archive, so the
// packaged charts, and their digests, differ from one machine to the next.
// UPDATE_GOLDEN=1 npx vitest run --project integration test/render/chart-golden.int.test.ts rewrites them.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createChartFetcher } from "../../src/adapters/charts/fetcher.ts";
import { createChartSources, type ChartSources } from "../../src/adapters/charts/sources.ts";
import { loadRepo } from "../../src/model/load.ts";
import type { ReleaseSpec } from "../../src/model/types.ts";
import { outputFiles, releaseBase, renderRepo } from "../../src/render/output.ts";
import { ensureCharts, startChartRepo, type ChartRepo } from "../cluster/charts.ts";
import { LOCAL_CHART_URL } from "../cluster/local-chart-repo.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const { helm } = inject("binaries");
const GOLDEN = join(PKG_ROOT, "test", "golden", "platform-charts");
const work = mkdtempSync(join(tmpdir(), "berth-chart-golden-"));
const example = join(work, "platform");
let repo: ChartRepo;
let sources: ChartSources;
/** `sha256:<hex>` of each served archive -> how the golden files write it. */
const digests = new Map<string, string>();

function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(root, p).split("\\").join("/")] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}

/** The demo's URL for this run's, and the archive's name for its digest. */
function normalise(text: string): string {
  let out = text.split(repo.url).join(LOCAL_CHART_URL);
  for (const [digest, name] of digests) out = out.split(digest).join(name);
  return out;
}

beforeAll(async () => {
  const charts = await ensureCharts({ helm });
  const served = [charts["metrics-server@3.12.2"]!, charts["metrics-server@3.13.1"]!];
  for (const file of served) digests.set(`sha256:${createHash("sha256").update(readFileSync(file)).digest("hex")}`, `sha256:<sha256 of ${basename(file)}>`);
  repo = await startChartRepo({ helm, charts: served });
  cpSync(join(PKG_ROOT, "examples", "platform"), example, { recursive: true });
  const sigs = join(example, "repositories", "sigs.yaml");
  writeFileSync(sigs, readFileSync(sigs, "utf8").replace(`url: ${LOCAL_CHART_URL}`, `url: ${repo.url}`));
  sources = createChartSources({ fetcher: createChartFetcher({ cacheDir: join(work, "pulled") }), credentialDirs: [] });
});

afterAll(async () => {
  await repo.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("examples/platform with its chart repository", () => {
  let releases: ReleaseSpec[];
  let files: Record<string, string>;

  it("renders the chart releases exactly as the golden files, and every other file as without chart sources", async () => {
    const rendered = renderRepo(await loadRepo(example, { charts: sources }));
    releases = rendered.releases;
    files = outputFiles(rendered);
    const charted = new Set(releases.filter((r) => r.workloadKind === "Chart").map((r) => releaseBase(r)));
    expect([...charted].sort()).toEqual(["releases/prod-eu/infra/metrics-server", "releases/staging/infra/metrics-server"]);
    const isChart = (p: string) => charted.has(p.replace(/(\.release)?\.yaml$/, ""));
    const got = Object.fromEntries(Object.entries(files).filter(([p]) => isChart(p)).map(([p, text]) => [p, normalise(text)]));
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [p, text] of Object.entries(got)) {
        mkdirSync(dirname(join(GOLDEN, p)), { recursive: true });
        writeFileSync(join(GOLDEN, p), text);
      }
    }
    expect(got).toEqual(readTree(GOLDEN));
    // the generated releases do not depend on the chart sources
    const others = Object.fromEntries(Object.entries(files).filter(([p]) => !isChart(p)));
    const unitGolden = readTree(join(PKG_ROOT, "test", "golden", "platform"));
    expect(others).toEqual(Object.fromEntries(Object.entries(unitGolden).filter(([p]) => !isChart(p))));
  });

  it("read the index once and each picked archive once; a second load within the interval asks nothing", async () => {
    expect(sources.fetcher.requests).toEqual({ index: 1, manifest: 0, pull: 2 });
    await loadRepo(example, { charts: sources });
    expect(sources.fetcher.requests).toEqual({ index: 1, manifest: 0, pull: 2 });
    expect(repo.requests.filter((r) => r.startsWith("GET /index.yaml"))).toHaveLength(1);
  });

  it("each chart release templates with helm from the pulled archive, with its values", async () => {
    for (const r of releases.filter((x) => x.workloadKind === "Chart")) {
      const res = await execa(helm, ["template", r.name, await sources.path(r.chart), "--namespace", r.namespace, "--values", "-"], {
        input: files[`${releaseBase(r)}.yaml`],
      });
      const objects = parseAllDocuments(res.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> } | null).filter((o) => o !== null);
      expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(["APIService", "ClusterRole", "Deployment", "RoleBinding", "Service"]));
      const deploy = objects.find((o) => o.kind === "Deployment")!;
      const spec = deploy.spec as { replicas: number; template: { spec: { containers: { args: string[] }[] } } };
      expect(deploy.metadata.name, r.cluster).toBe(r.name);
      expect(spec.replicas, r.cluster).toBe(r.cluster === "prod-eu" ? 2 : 1);
      expect(spec.template.spec.containers[0]!.args, r.cluster).toContain("--kubelet-insecure-tls");
    }
  });
});
