import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRepo } from "../model/load.ts";
import type { Repo } from "../model/types.ts";
import { PKG_ROOT } from "../../test/unit/render/fixture.ts";
import { diffKeys, diffRendered, hasChanges } from "./diff.ts";
import { formatMarkdown, formatText } from "./diff-format.ts";
import { unifiedDiff } from "./line-diff.ts";
import { renderRepo } from "./output.ts";

const platform = () => loadRepo(join(PKG_ROOT, "examples", "platform"));

/** The platform example with staging no longer held on catalog 1.0.x. */
function unpinStaging(repo: Repo): Repo {
  const overlays = repo.overlays.map((o) => {
    if (o.metadata.name !== "store-staging") return o;
    const { version: _v, ...catalog } = o.spec.components.catalog!;
    return { ...o, spec: { ...o.spec, components: { ...o.spec.components, catalog } } };
  });
  return { ...repo, overlays };
}

describe("diffRendered", () => {
  it("no change, no diff", async () => {
    const r = renderRepo(await platform());
    const d = diffRendered(r, r);
    expect(hasChanges(d)).toBe(false);
    expect(formatText(d)).toBe("No changes.\n");
  });

  it("an upgrade lists the version move, its steps and the values that change", async () => {
    const repo = await platform();
    const d = diffRendered(renderRepo(repo), renderRepo(unpinStaging(repo)));
    expect(d.charts).toEqual([]);
    expect(d.releases.map((r) => r.key)).toEqual(["staging/store/catalog"]);
    const r = d.releases[0]!;
    expect(r.version).toEqual({ from: "1.0.0", to: "1.1.0", move: "upgrade" });
    expect(r.steps.map((s) => [s.kind, s.to, s.step.args])).toEqual([["run", "1.1.0", ["migrate", "--to", "1.1.0"]]]);
    expect(r.values).toContainEqual({ path: "image.tag", change: "changed", from: "1.0.0", to: "1.1.0" });
    expect(r.values).toContainEqual({ path: "config.data.search.fuzzy", change: "changed", from: false, to: true });
    expect(formatText(d)).toContain("staging/store/catalog (store-catalog) changed: upgrade 1.0.0 -> 1.1.0");
    expect(formatMarkdown(d)).toContain("| ~ | `store-catalog` | staging | 1.0.0 → 1.1.0 (upgrade) | webservice 1.0.0 |");
  });

  it("a downgrade lists the rollback steps", async () => {
    const repo = await platform();
    const d = diffRendered(renderRepo(unpinStaging(repo)), renderRepo(repo));
    const r = d.releases[0]!;
    expect(r.version.move).toBe("downgrade");
    expect(r.steps.map((s) => [s.kind, s.step.args])).toEqual([["rollback", ["migrate", "--to", "1.0.0"]]]);
  });

  it("releases added and removed; chart files diffed", async () => {
    const repo = await platform();
    const fewer = { ...repo, clusters: repo.clusters.filter((c) => c.metadata.name !== "staging") };
    const workloads = repo.workloads.map((w) =>
      w.metadata.name === "worker" ? { ...w, spec: { ...w.spec, version: "1.0.1", description: "changed" } } : w,
    );
    const d = diffRendered(renderRepo(fewer), renderRepo({ ...repo, workloads }));
    expect(d.releases.filter((r) => r.change === "added").map((r) => r.key)).toEqual([
      "staging/store/catalog",
      "staging/store/db-migrate",
      "staging/store/mailer",
      "staging/store/postgres",
    ]);
    expect(d.charts.map((c) => [c.name, c.from, c.to, c.files.map((f) => f.path)])).toEqual([
      ["worker", "1.0.0", "1.0.1", ["Chart.yaml"]],
    ]);
    expect(d.charts[0]!.files[0]!.patch).toContain("-version: 1.0.0\n+version: 1.0.1");
  });
});

describe("diffKeys", () => {
  it.each([
    { a: { x: 1 }, b: { x: 1 }, want: [] },
    { a: { x: 1 }, b: { x: 2 }, want: [{ path: "x", change: "changed", from: 1, to: 2 }] },
    { a: {}, b: { x: { y: 1 } }, want: [{ path: "x.y", change: "added", to: 1 }] },
    { a: { x: [1] }, b: {}, want: [{ path: "x", change: "removed", from: [1] }] },
    { a: { x: [1, 2] }, b: { x: [1] }, want: [{ path: "x", change: "changed", from: [1, 2], to: [1] }] },
  ])("case %#", ({ a, b, want }) => {
    expect(diffKeys(a, b)).toEqual(want);
  });
});

describe("unifiedDiff", () => {
  it.each([
    { a: "a\nb\nc\n", b: "a\nb\nc\n", want: "" },
    { a: "a\nb\nc\n", b: "a\nB\nc\n", want: "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n" },
    { a: "", b: "x\n", want: "@@ -0,0 +1,1 @@\n+x\n" },
    { a: "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", b: "1\n2\n3\n4\n5\n6\n7\n8\n9\nX\n", want: "@@ -7,4 +7,4 @@\n 7\n 8\n 9\n-10\n+X\n" },
  ])("hunk %#", ({ a, b, want }) => {
    expect(unifiedDiff(a, b)).toBe(want);
  });
});
