// The helm step of `berth diff` with a recording fake of the helm adapter:
// which releases are templated, how often, with what, and how failures show.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TemplateOptions } from "../adapters/helm.ts";
import { chartPinKey, type ReleaseSpec, type RenderedChart } from "../model/types.ts";
import { spec } from "../plan/test-specs.ts";
import { diffRendered } from "../render/diff.ts";
import type { Rendered } from "../render/output.ts";
import { diffManifests, generatedChartPath, withObjects, type ChartPath } from "./diff-manifests.ts";

const chart = (body = "x"): RenderedChart => ({ name: "webservice", version: "1.0.0", files: { "Chart.yaml": "name: webservice\n", "templates/d.yaml": body } });
const rendered = (releases: ReleaseSpec[], c = chart()): Rendered => ({ charts: [c], releases });

/** A helm whose manifest is a Deployment with the release's `replicas` value; counts calls and the most at once. */
function fakeHelm(fail?: (o: TemplateOptions) => string | undefined) {
  const calls: TemplateOptions[] = [];
  let running = 0;
  let most = 0;
  return {
    calls,
    most: () => most,
    async template(o: TemplateOptions) {
      calls.push(o);
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      const err = fail?.(o);
      if (err) throw new Error(err);
      return `---\n# Source: webservice/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${o.release} }\nspec: { replicas: ${String(o.values.replicas)} }\n`;
    },
  };
}

const paths: ChartPath = async (r, side) => `/charts/${side}/${r.chart.name}`;

describe("withObjects", () => {
  it("no changed release, no helm call", async () => {
    const helm = fakeHelm();
    const side = rendered([spec("app-api")]);
    const d = await withObjects(diffRendered(side, side), { base: side, head: side }, { helm, chartPath: paths });
    expect(d.releases).toEqual([]);
    expect(helm.calls).toHaveLength(0);
  });

  it("one template per side of a changed release, both as upgrades, each with its side's chart and values", async () => {
    const helm = fakeHelm();
    const base = rendered([spec("app-api"), spec("app-web")]);
    const head = rendered([spec("app-api", { values: { replicas: 3 } }), spec("app-web")]);
    const d = await withObjects(diffRendered(base, head), { base, head }, { helm, chartPath: paths });
    expect(helm.calls.map((c) => [c.release, c.chartDir, c.values.replicas, c.isUpgrade])).toEqual([
      ["app-api", "/charts/base/webservice", 1, true],
      ["app-api", "/charts/head/webservice", 3, true],
    ]);
    const objects = d.releases[0]!.objects!;
    expect("changes" in objects && objects.changes.map((c) => [c.change, c.label])).toEqual([["changed", "Deployment/app/app-api"]]);
    expect("changes" in objects && objects.changes[0]!.patch).toContain("-  replicas: 1\n+  replicas: 3");
  });

  it("a release added or removed is templated on its one side", async () => {
    const helm = fakeHelm();
    const base = rendered([spec("app-old")]);
    const head = rendered([spec("app-new")]);
    const d = await withObjects(diffRendered(base, head), { base, head }, { helm, chartPath: paths });
    expect(helm.calls.map((c) => [c.release, c.chartDir, c.isUpgrade])).toEqual([
      ["app-new", "/charts/head/webservice", false],
      ["app-old", "/charts/base/webservice", true],
    ]);
    expect(d.releases.map((r) => [r.key, r.objects && "changes" in r.objects && r.objects.changes.map((c) => c.change)])).toEqual([
      ["east/app/new", ["added"]],
      ["east/app/old", ["removed"]],
    ]);
  });

  it("an edit of upgrade steps or dependsOn alone makes no helm call", async () => {
    const helm = fakeHelm();
    const step = { from: ">=0.1.0 <1.0.0", to: "1.0.0", run: { image: "m:1" } };
    const base = rendered([spec("app-api", { upgrades: [step] })]);
    const head = rendered([spec("app-api", { upgrades: [{ ...step, run: { image: "m:2" } }], dependsOn: ["app-db"] })]);
    const d = await withObjects(diffRendered(base, head), { base, head }, { helm, chartPath: paths });
    expect(d.releases).toHaveLength(1);
    expect(d.releases[0]!.objects).toBeUndefined();
    expect(helm.calls).toHaveLength(0);
  });

  it("a chart edited at the same version: every release on it is templated", async () => {
    const helm = fakeHelm();
    const base = rendered([spec("app-api"), spec("app-web")], chart("a"));
    const head = rendered([spec("app-api"), spec("app-web")], chart("b"));
    const d = diffRendered(base, head);
    expect(d.releases.map((r) => [r.key, r.chartFiles])).toEqual([
      ["east/app/api", true],
      ["east/app/web", true],
    ]);
    await withObjects(d, { base, head }, { helm, chartPath: paths });
    expect(helm.calls).toHaveLength(4);
  });

  it("at most `concurrency` helm processes at once", async () => {
    const helm = fakeHelm();
    const names = Array.from({ length: 12 }, (_, i) => `app-r${i}`);
    const base = rendered(names.map((n) => spec(n)));
    const head = rendered(names.map((n) => spec(n, { values: { replicas: 2 } })));
    await withObjects(diffRendered(base, head), { base, head }, { helm, chartPath: paths, concurrency: 3 });
    expect(helm.calls).toHaveLength(24);
    expect(helm.most()).toBe(3);
  });

  it("a failed template says which side and why, in that release only", async () => {
    const helm = fakeHelm((o) => (o.release === "app-api" && o.chartDir.includes("/head/") ? "helm template failed: boom" : undefined));
    const base = rendered([spec("app-api"), spec("app-web")]);
    const head = rendered([spec("app-api", { values: { replicas: 2 } }), spec("app-web", { values: { replicas: 2 } })]);
    const d = await withObjects(diffRendered(base, head), { base, head }, { helm, chartPath: paths });
    expect(d.releases[0]!.objects).toEqual({ error: "head: helm template failed: boom" });
    expect(d.releases[1]!.objects).toHaveProperty("changes");
  });

  it("a release whose chart could not be read is not templated on that side", async () => {
    const helm = fakeHelm();
    const base = rendered([spec("app-api")]);
    const head = rendered([spec("app-api", { values: { replicas: 2 }, unavailable: "index unreachable" })]);
    const d = await withObjects(diffRendered(base, head), { base, head }, { helm, chartPath: paths });
    expect(d.releases[0]!.objects).toEqual({ error: "head: index unreachable" });
  });
});

describe("generatedChartPath", () => {
  const root = mkdtempSync(join(tmpdir(), "berth-diff-manifests-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("writes each side's own generated chart", async () => {
    const r = spec("app-api");
    const p = generatedChartPath({ base: rendered([r], chart("a")), head: rendered([r], chart("b")) }, root);
    expect(readFileSync(join(await p(r, "base"), "templates/d.yaml"), "utf8")).toBe("a");
    expect(readFileSync(join(await p(r, "head"), "templates/d.yaml"), "utf8")).toBe("b");
  });

  it("a chart from git is written from what the loader read; a repository chart needs chart sources", async () => {
    const files = new Map([["Chart.yaml", Buffer.from("apiVersion: v2\nname: hello\nversion: 0.2.0\n")]]);
    const git = spec("app-hello", { chart: { name: "hello", version: "0.2.0", source: { path: "charts/hello" }, digest: "sha256:ab" } });
    const head = { ...rendered([git]), chartPins: new Map([[chartPinKey({ path: "charts/hello" }, "", ""), { digest: "sha256:ab", values: {}, files }]]) };
    const dir = await generatedChartPath({ base: rendered([]), head }, root)(git, "head");
    expect(readFileSync(join(dir, "Chart.yaml"), "utf8")).toContain("name: hello");
    const r = spec("app-ms", { chart: { name: "metrics-server", version: "3.12.2", source: { repository: "sigs", url: "https://example.com" } } });
    const p = generatedChartPath({ base: rendered([]), head: rendered([r]) }, root);
    await expect(p(r, "head")).rejects.toThrow(/chart metrics-server comes from ChartRepository sigs, and berth runs without chart sources/);
  });
});

describe("diffManifests", () => {
  it("writes no chart and calls no helm when no release may differ", async () => {
    const helm = fakeHelm();
    const side = rendered([spec("app-api")]);
    const d = diffRendered(side, side);
    expect(await diffManifests(d, { base: side, head: side }, { helm })).toBe(d);
    expect(helm.calls).toHaveLength(0);
  });
});
