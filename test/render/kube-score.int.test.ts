// kube-score v1.20.0 (built by test/cluster/build.sh) over `helm template` of
// every release of examples/shop and examples/platform. berth's defaults
// leave no CRITICAL of their own: what remains is caused by the examples'
// inputs, each check listed below with why; the same release with those
// inputs given scores no CRITICAL at all.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { afterAll, describe, expect, inject, it } from "vitest";
import { loadRepo } from "../../src/model/load.ts";
import { outputFiles, renderRepo } from "../../src/render/output.ts";
import { ensureCharts } from "../cluster/charts.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const binaries = inject("binaries");
const work = mkdtempSync(join(tmpdir(), "berth-kube-score-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The CRITICALs the generated releases keep, and the example input that causes each. */
const FROM_EXAMPLE_INPUTS: Record<string, string> = {
  "container-resources": "the Components set requests only (no CPU or memory limits); a platform sets them in its WorkloadDefinition's defaults",
  "container-ephemeral-storage-request-and-limit": "no Component sets ephemeral-storage (container.resources takes it)",
  "container-image-pull-policy": "no Component sets imagePullPolicy: Always (container.imagePullPolicy takes it)",
  "pod-networkpolicy": "the examples leave the networkPolicy trait off",
};

/** What a third-party chart (metrics-server) keeps besides: its own chart's defaults, which berth does not write. */
const FROM_THE_CHART: Record<string, string> = {
  ...FROM_EXAMPLE_INPUTS,
  "container-security-context-user-group-id": "the metrics-server chart runs as user 1000",
  "deployment-has-poddisruptionbudget": "the chart's podDisruptionBudget is off and the example does not turn it on",
};

interface Scored {
  object: string;
  container?: string;
  check: string;
}

async function criticals(manifest: string): Promise<Scored[]> {
  const file = join(work, `m-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, manifest);
  // exit 1 when anything is CRITICAL: the JSON says what
  const r = await execa(binaries.kubeScore, ["score", file, "--output-format", "json"], { reject: false });
  const objects = JSON.parse(r.stdout) as Array<{ object_name: string; type_meta: { kind: string }; checks: Array<{ grade: number; skipped: boolean; check: { id: string }; comments?: Array<{ path?: string }> | null }> }>;
  return objects.flatMap((o) =>
    o.checks
      .filter((c) => c.grade === 1 && !c.skipped)
      .flatMap((c) => (c.comments?.length ? c.comments : [{}]).map((m) => ({ object: `${o.type_meta.kind}/${o.object_name}`, check: c.check.id, ...(m.path ? { container: m.path } : {}) }))),
  );
}

interface Rendered {
  dir: string;
  releases: Array<{ key: string; name: string; namespace: string; chart: string; values: string }>;
}

async function render(example: string): Promise<Rendered> {
  const dir = join(work, example);
  const files = outputFiles(renderRepo(await loadRepo(join(PKG_ROOT, "examples", example))));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const releases = Object.keys(files)
    .filter((p) => p.endsWith(".release.yaml"))
    .map((p) => ({ p, meta: parse(files[p]!) as { name: string; namespace: string; chart: { name: string; source?: unknown }; unavailable?: string } }))
    // a third-party chart is read from its repository: scored below, from the packaged chart
    .filter(({ meta }) => !meta.chart.source && !meta.unavailable)
    .map(({ p, meta }) => ({ key: p.replace(/^releases\//, "").replace(/\.release\.yaml$/, ""), name: meta.name, namespace: meta.namespace, chart: meta.chart.name, values: join(dir, p.replace(/\.release\.yaml$/, ".yaml")) }));
  return { dir, releases };
}

const template = async (dir: string, r: Rendered["releases"][0], extra: string[] = []) =>
  (await execa(binaries.helm, ["template", r.name, join(dir, "charts", r.chart), "-n", r.namespace, "-f", r.values, ...extra])).stdout;

describe.each(["shop", "platform"])("kube-score over examples/%s", (example) => {
  it("finds no CRITICAL whose cause is not in the example's inputs", async () => {
    const { dir, releases } = await render(example);
    expect(releases.length).toBeGreaterThan(0);
    const unexplained: string[] = [];
    const seen = new Set<string>();
    for (const r of releases) {
      for (const c of await criticals(await template(dir, r))) {
        seen.add(c.check);
        if (!(c.check in FROM_EXAMPLE_INPUTS)) unexplained.push(`${r.key} ${c.object}${c.container ? ` (${c.container})` : ""}: ${c.check}`);
      }
    }
    expect(unexplained).toEqual([]);
    // each listed cause is still there: a list that outlives its cause would hide a new one
    expect([...seen].sort()).toEqual(Object.keys(FROM_EXAMPLE_INPUTS).sort());
    // the security checks the issue found on every pod are clean now
    for (const check of ["container-security-context-user-group-id", "container-security-context-readonlyrootfilesystem", "container-security-context-privileged"]) expect(seen).not.toContain(check);
  });

  it("finds none at all once the inputs say what the checks ask", async () => {
    const { dir, releases } = await render(example);
    const requestsAndLimits = (cpu: string, memory: string, disk: string) => ({ requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "10Mi" }, limits: { cpu, memory, "ephemeral-storage": disk } });
    const given = ["--set", "image.pullPolicy=Always", "--set-json", `resources=${JSON.stringify(requestsAndLimits("500m", "256Mi", "1Gi"))}`, "--set", "traits.networkPolicy.enabled=true"];
    const left: string[] = [];
    for (const r of releases) {
      // a sidecar, where one runs, says the same of itself
      const values = parse(readFileSync(r.values, "utf8")) as { traits?: { sidecar?: { items?: Array<Record<string, unknown>> } } };
      const sidecars = (values.traits?.sidecar?.items ?? []).map((c) => ({ ...c, imagePullPolicy: "Always", resources: requestsAndLimits("100m", "64Mi", "100Mi") }));
      const args = sidecars.length ? [...given, "--set-json", `traits.sidecar.items=${JSON.stringify(sidecars)}`] : given;
      for (const c of await criticals(await template(dir, r, args))) left.push(`${r.key} ${c.object}${c.container ? ` (${c.container})` : ""}: ${c.check}`);
    }
    expect(left).toEqual([]);
  });
});

describe("kube-score over examples/platform's metrics-server chart", () => {
  it("finds no CRITICAL but the chart's own defaults and the example's inputs", async () => {
    const charts = await ensureCharts(binaries);
    const unexplained: string[] = [];
    for (const cluster of ["prod-eu", "staging"]) {
      const values = join(PKG_ROOT, "test", "golden", "platform-charts", "releases", cluster, "infra", "metrics-server.yaml");
      const meta = parse(readFileSync(values.replace(/\.yaml$/, ".release.yaml"), "utf8")) as { chart: { version: string }; namespace: string };
      const tgz = charts[`metrics-server@${meta.chart.version}`]!;
      const manifest = (await execa(binaries.helm, ["template", "infra-metrics-server", tgz, "-n", meta.namespace, "-f", values])).stdout;
      for (const c of await criticals(manifest)) if (!(c.check in FROM_THE_CHART)) unexplained.push(`${cluster} ${c.object}: ${c.check}`);
    }
    expect(unexplained).toEqual([]);
  });
});
