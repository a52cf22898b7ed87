// `berth diff --format markdown` with the objects of the changed releases'
// manifests (the REAL helm's `helm template` of both sides), pinned byte for
// byte: the change of test/support/shop-pull-request.ts, whose API_TOKEN shows
// masked in the rendered Deployment's env too. The same change without helm:
// test/unit/render/diff-golden.test.ts. Short commit SHAs compare as <sha>.
// UPDATE_GOLDEN=1 rewrites the file.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runBerth } from "../support/cli.ts";
import { golden, SHOP_SECRET, shaFree, shopPullRequestRepo } from "../support/shop-pull-request.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const { helm } = inject("binaries");
const GOLDEN = join(PKG_ROOT, "test", "golden", "diff", "shop-pull-request-objects.md");
let dir: string;

beforeAll(async () => {
  dir = await shopPullRequestRepo("berth-diff-golden-int-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("berth diff --format markdown with the objects (a pull request's comment)", () => {
  it("is the golden file; the token is masked in the values and in the Deployment", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--helm", helm, "shop"], dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(3);
    expect(shaFree(r.out)).toBe(golden(GOLDEN, r.out));
    expect(r.out).not.toContain(SHOP_SECRET);
    expect(r.out).toContain("+            - name: API_TOKEN\n+              value: ••••••\n");
  });

  it("--show-secrets shows it in the Deployment", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--helm", helm, "--show-secrets", "shop"], dir);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`+            - name: API_TOKEN\n+              value: ${SHOP_SECRET}\n`);
  });
});
