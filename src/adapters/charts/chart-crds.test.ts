import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { isCrdFile, readChartCrds } from "./chart-crds.ts";

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

const CHART = {
  "Chart.yaml": "apiVersion: v2\nname: widgets\nversion: 1.0.0\n",
  "templates/deployment.yaml": "kind: Deployment\n",
  "crds/widgets.yaml": "kind: CustomResourceDefinition # widgets\n",
  "crds/README.md": "not a manifest\n",
  "charts/gadgets/Chart.yaml": "apiVersion: v2\nname: gadgets\nversion: 0.1.0\n",
  "charts/gadgets/crds/gadgets.yml": "kind: CustomResourceDefinition # gadgets\n",
};

describe("readChartCrds", () => {
  it.each<[string, boolean]>([
    ["crds/a.yaml", true],
    ["crds/nested/a.json", true],
    ["charts/sub/crds/a.yml", true],
    ["charts/sub/charts/deeper/crds/a.yaml", true],
    ["crds/README.md", false],
    ["templates/crds/a.yaml", false],
    ["sub/crds/a.yaml", false],
  ])("%s is a CRD file: %s", (path, want) => {
    expect(isCrdFile(path)).toBe(want);
  });

  it("reads crds/ of a chart directory and of its unpacked subcharts, sorted", async () => {
    const root = await mkdtemp(join(tmpdir(), "berth-crds-"));
    await tree(root, CHART);
    expect(await readChartCrds(root)).toEqual([
      { path: "charts/gadgets/crds/gadgets.yml", text: "kind: CustomResourceDefinition # gadgets\n" },
      { path: "crds/widgets.yaml", text: "kind: CustomResourceDefinition # widgets\n" },
    ]);
  });

  it("reads the same from a packaged chart, subchart archives inside it included", async () => {
    const work = await mkdtemp(join(tmpdir(), "berth-crds-tgz-"));
    const sub = join(work, "sub");
    await tree(sub, { "gizmos/Chart.yaml": "apiVersion: v2\nname: gizmos\nversion: 0.2.0\n", "gizmos/crds/gizmos.yaml": "kind: CustomResourceDefinition # gizmos\n" });
    await tree(join(work, "src"), Object.fromEntries(Object.entries(CHART).map(([p, t]) => [`widgets/${p}`, t])));
    await mkdir(join(work, "src/widgets/charts"), { recursive: true });
    execFileSync("tar", ["czf", join(work, "src/widgets/charts/gizmos-0.2.0.tgz"), "-C", sub, "gizmos"]);
    execFileSync("tar", ["czf", join(work, "widgets-1.0.0.tgz"), "-C", join(work, "src"), "widgets"]);
    expect((await readChartCrds(join(work, "widgets-1.0.0.tgz"))).map((f) => f.path)).toEqual([
      "charts/gadgets/crds/gadgets.yml",
      "charts/gizmos-0.2.0/crds/gizmos.yaml",
      "crds/widgets.yaml",
    ]);
  });

  it("a chart without crds/ has none", async () => {
    const root = await mkdtemp(join(tmpdir(), "berth-crds-none-"));
    await tree(root, { "Chart.yaml": CHART["Chart.yaml"], "templates/x.yaml": "kind: ConfigMap\n" });
    expect(await readChartCrds(root)).toEqual([]);
  });
});
