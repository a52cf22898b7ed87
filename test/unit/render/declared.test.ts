// Where a release's requires and upgrade steps are declared rides along for
// messages only: it points at the right field, and moving a line changes
// neither the release's digest nor anything berth renders.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadRepo } from "../../../src/model/load.ts";
import { stepKey } from "../../../src/model/types.ts";
import { releaseDigest } from "../../../src/plan/digest.ts";
import { outputFiles, renderRepo } from "../../../src/render/output.ts";
import { resolveReleases } from "../../../src/render/resolve.ts";
import { PKG_ROOT } from "./fixture.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-declared-"));
cpSync(join(PKG_ROOT, "examples", "platform"), dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const catalogOn = async (cluster: string) => {
  const repo = await loadRepo(dir);
  return { repo, rel: resolveReleases(repo).find((r) => r.entry === "catalog" && r.cluster === cluster)! };
};

describe("declared locations", () => {
  it("point at the requires entry and at the from of each upgrade step", async () => {
    const { rel } = await catalogOn("prod-eu");
    expect(rel.declared?.requires).toEqual({
      "metrics-server": "components/catalog-1.1.0.yaml:28:21 spec.requires.metrics-server",
      postgres: "components/catalog-1.1.0.yaml:25:15 spec.requires.postgres",
    });
    expect(rel.declared?.upgrades).toEqual({ [stepKey(rel.upgrades[0]!)]: "components/catalog-1.1.0.yaml:30:13 spec.upgrades[0].from" });
  });

  it("move with the lines, while the digest and the rendered files stay the same", async () => {
    const before = await catalogOn("prod-eu");
    const files = outputFiles(renderRepo(before.repo));
    const file = join(dir, "components/catalog-1.1.0.yaml");
    writeFileSync(file, `# a comment moves every line down\n${readFileSync(file, "utf8")}`);
    const after = await catalogOn("prod-eu");
    expect(after.rel.declared?.requires.postgres).toBe("components/catalog-1.1.0.yaml:26:15 spec.requires.postgres");
    expect(releaseDigest(after.rel)).toBe(releaseDigest(before.rel));
    expect(outputFiles(renderRepo(after.repo))).toEqual(files);
  });
});
