// `berth diff --format markdown` — what a pull request gets — pinned byte for
// byte on a real temporary git repository of examples/shop whose application
// rolls out in two waves (prod-hk, then dev after a soak and an approval).
// The change: a new api version (prod-hk moves 3.0.6 -> 3.0.7 and runs its
// step) and a secret-looking value on dev (API_TOKEN), which reads ••••••.
// No helm here (--no-manifests); test/render/diff-golden.int.test.ts pins the
// objects with the real helm. The short commit SHAs in the heading differ per
// run and are compared as <sha>. UPDATE_GOLDEN=1 rewrites the file.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBerth } from "../../support/cli.ts";
import { golden, SHOP_SECRET, shaFree, shopPullRequestRepo } from "../../support/shop-pull-request.ts";
import { PKG_ROOT } from "./fixture.ts";

const GOLDEN = join(PKG_ROOT, "test", "golden", "diff", "shop-pull-request.md");
let dir: string;

beforeAll(async () => {
  dir = await shopPullRequestRepo("berth-diff-golden-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("berth diff --format markdown (a pull request's comment)", () => {
  it("is the golden file: marker, both revisions, the rollout order, the changes per application; the secret masked", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--no-manifests", "shop"], dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(3);
    expect(shaFree(r.out)).toBe(golden(GOLDEN, r.out));
    expect(r.out).not.toContain(SHOP_SECRET);
  });

  it("--show-secrets shows the value", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--no-manifests", "--show-secrets", "shop"], dir);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`+ values.env.API_TOKEN: "${SHOP_SECRET}"`);
    expect(r.out).not.toContain("••••••");
  });

  it("the text view masks it too", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--no-manifests", "shop"], dir);
    expect(r.out).toContain('values + env.API_TOKEN: "••••••"');
    expect(r.out).not.toContain(SHOP_SECRET);
  });

  it("no change: the marker, the heading and No changes.", async () => {
    const r = await runBerth(["diff", "--base", "HEAD", "--head", "HEAD", "--format", "markdown", "--no-manifests", "shop"], dir);
    expect(r.code).toBe(0);
    expect(shaFree(r.out)).toBe("<!-- berth-diff -->\n## berth diff: `HEAD` (<sha>) → `HEAD` (<sha>)\n\nNo changes.\n");
  });
});
