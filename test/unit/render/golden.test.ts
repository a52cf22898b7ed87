// Golden files pin the rendered output of the examples byte for byte.
// UPDATE_GOLDEN=1 npx vitest run --project unit test/unit/render/golden.test.ts rewrites them.
// Unit tests read no network, so they load without chart sources: examples/platform's
// metrics-server releases (a chart from a Helm repository) are pinned here as unavailable,
// at version 0.0.0 with the reason; test/render/chart-golden.int.test.ts pins them as
// rendered against the real chart on a loopback repository.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRepo } from "../../../src/model/load.ts";
import { outputFiles, renderRepo } from "../../../src/render/output.ts";
import { resolveReleases } from "../../../src/render/resolve.ts";
import { PKG_ROOT } from "./fixture.ts";

const EXAMPLES = ["shop", "platform"];

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

describe.each(EXAMPLES)("examples/%s", (example) => {
  it("renders exactly the golden files", async () => {
    const files = outputFiles(renderRepo(await loadRepo(join(PKG_ROOT, "examples", example))));
    const golden = join(PKG_ROOT, "test", "golden", example);
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(golden, { recursive: true, force: true });
      for (const [p, text] of Object.entries(files)) {
        mkdirSync(dirname(join(golden, p)), { recursive: true });
        writeFileSync(join(golden, p), text);
      }
    }
    const want = readTree(golden);
    expect(Object.keys(files).sort()).toEqual(Object.keys(want).sort());
    for (const [p, text] of Object.entries(files)) expect(text, p).toBe(want[p]);
  });

  it("renders the same bytes twice", async () => {
    const root = join(PKG_ROOT, "examples", example);
    const a = outputFiles(renderRepo(await loadRepo(root)));
    const b = outputFiles(renderRepo(await loadRepo(root)));
    expect(b).toEqual(a);
  });
});

describe("examples/platform without chart sources", () => {
  it("renders its chart releases as unavailable, saying why, and everything else in full", async () => {
    const releases = resolveReleases(await loadRepo(join(PKG_ROOT, "examples", "platform")));
    const charts = releases.filter((r) => r.workloadKind === "Chart");
    expect(charts.map((r) => `${r.cluster}/${r.name} ${r.chart.version}: ${r.unavailable}`)).toEqual([
      "prod-eu/infra-metrics-server 0.0.0: the versions of chart metrics-server were not read (berth ran without chart sources)",
      "staging/infra-metrics-server 0.0.0: the versions of chart metrics-server were not read (berth ran without chart sources)",
    ]);
    expect(releases.filter((r) => r.unavailable !== undefined)).toEqual(charts);
  });
});
