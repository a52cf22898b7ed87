import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadRepo } from "../model/load.ts";
import type { ReleaseSpec, Repo, UpgradeStep } from "../model/types.ts";
import { PKG_ROOT } from "../../test/unit/render/fixture.ts";
import { diffKeys, diffRendered, diffUpgrades, hasChanges } from "./diff.ts";
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
      "staging/infra/metrics-server",
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

/** The platform example with catalog 1.1.0's upgrade step edited as `edit` says; no version moves. */
function editStep(repo: Repo, edit: (s: UpgradeStep) => UpgradeStep): Repo {
  const components = repo.components.map((c) =>
    c.metadata.name === "catalog" && c.spec.version === "1.1.0" ? { ...c, spec: { ...c.spec, upgrades: (c.spec.upgrades ?? []).map(edit) } } : c,
  );
  return { ...repo, components };
}

describe("diffRendered of upgrade steps", () => {
  it("an edited step without a version move is a change, in text and markdown", async () => {
    const repo = await platform();
    const head = editStep(repo, (s) => ({ ...s, run: { ...s.run, args: ["migrate", "--to", "1.1.0", "--lock"] } }));
    const d = diffRendered(renderRepo(repo), renderRepo(head));
    expect(hasChanges(d)).toBe(true);
    // staging runs catalog 1.0.0, which the step (to 1.1.0) is not part of
    expect(d.releases.map((r) => r.key)).toEqual(["prod-eu/store/catalog"]);
    const r = d.releases[0]!;
    expect(r.version.move).toBe("none");
    expect(r.values).toEqual([]);
    expect(r.upgrades).toEqual([
      { change: "changed", from: ">=1.0.0 <1.1.0", to: "1.1.0", fields: [{ path: "run.args", change: "changed", from: ["migrate", "--to", "1.1.0"], to: ["migrate", "--to", "1.1.0", "--lock"] }] },
    ]);
    const text = formatText(d);
    expect(text).toContain("~ prod-eu/store/catalog (store-catalog) changed: upgrade steps\n");
    expect(text).toContain('      ~ upgrade step >=1.0.0 <1.1.0 -> 1.1.0\n          ~ run.args: ["migrate","--to","1.1.0"] -> ["migrate","--to","1.1.0","--lock"]\n');
    const md = formatMarkdown(d);
    expect(md).toContain("prod-eu/store/catalog: 0 change(s), 1 upgrade step(s) edited</summary>");
    expect(md).toContain('! upgrade step >=1.0.0 <1.1.0 -> 1.1.0: run.args: ["migrate","--to","1.1.0"] -> ["migrate","--to","1.1.0","--lock"]');
  });

  it("a new image for the rollback is shown under rollback.image", async () => {
    const repo = await platform();
    const head = editStep(repo, (s) => ({ ...s, rollback: { ...s.rollback!, image: "registry.example.com/store/catalog:1.1.1" } }));
    const r = diffRendered(renderRepo(repo), renderRepo(head)).releases[0]!;
    expect(r.upgrades[0]?.fields.map((f) => [f.path, f.to])).toEqual([["rollback.image", "registry.example.com/store/catalog:1.1.1"]]);
  });
});

describe("diffUpgrades", () => {
  const step = (from: string, to: string, args: string[] = ["up"], rollback?: string[]): UpgradeStep => ({
    from,
    to,
    run: { image: "m", args },
    ...(rollback ? { rollback: { image: "m", args: rollback } } : {}),
  });
  const rel = (version: string, upgrades: UpgradeStep[]) => ({ component: { name: "c", version }, upgrades }) as unknown as ReleaseSpec;
  const A = step(">=1.0.0 <1.1.0", "1.1.0");
  it.each([
    { name: "nothing changed", x: rel("1.1.0", [A]), y: rel("1.1.0", [A]), want: [] },
    { name: "args edited", x: rel("1.1.0", [A]), y: rel("1.1.0", [step(">=1.0.0 <1.1.0", "1.1.0", ["up", "--all"])]), want: [["changed", "1.1.0", ["run.args"]]] },
    { name: "rollback added", x: rel("1.1.0", [A]), y: rel("1.1.0", [step(">=1.0.0 <1.1.0", "1.1.0", ["up"], ["down"])]), want: [["changed", "1.1.0", ["rollback.args", "rollback.image"]]] },
    { name: "step added below the version", x: rel("1.1.0", []), y: rel("1.1.0", [A]), want: [["added", "1.1.0", []]] },
    { name: "step removed", x: rel("1.1.0", [A]), y: rel("1.1.0", []), want: [["removed", "1.1.0", []]] },
    { name: "step an upgrade brings in is the move's", x: rel("1.0.0", []), y: rel("1.1.0", [A]), want: [] },
    { name: "step a downgrade leaves behind is the move's", x: rel("1.1.0", [A]), y: rel("1.0.0", []), want: [] },
    { name: "a range edit is a removed and an added step", x: rel("1.1.0", [A]), y: rel("1.1.0", [step(">=1.0.1 <1.1.0", "1.1.0")]), want: [["removed", "1.1.0", []], ["added", "1.1.0", []]] },
  ])("$name", ({ x, y, want }) => {
    expect(diffUpgrades(x, y).map((c) => [c.change, c.to, c.fields.map((f) => f.path)])).toEqual(want);
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
