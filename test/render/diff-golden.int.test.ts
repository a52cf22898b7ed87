// `berth diff --format markdown` with the objects of the changed releases'
// manifests (the REAL helm's `helm template` of both sides), pinned byte for
// byte: the change of test/support/shop-pull-request.ts, whose API_TOKEN shows
// masked in the rendered Deployment's env too. The same change without helm:
// test/unit/render/diff-golden.test.ts. Short commit SHAs compare as <sha>.
// UPDATE_GOLDEN=1 rewrites the file.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runBerth } from "../support/cli.ts";
import { writeFiles } from "../support/git-remote.ts";
import { copyShopWithWaves, SHOP_SECRET, shopChange } from "../support/shop-pull-request.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const { helm } = inject("binaries");
const GOLDEN = join(PKG_ROOT, "test", "golden", "diff", "shop-pull-request-objects.md");
const dir = mkdtempSync(join(tmpdir(), "berth-diff-golden-int-"));
const git = (...args: string[]) => execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir });

beforeAll(async () => {
  copyShopWithWaves(join(dir, "shop"));
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-qm", "base");
  writeFiles(join(dir, "shop"), shopChange());
  await git("add", "-A");
  await git("commit", "-qm", "head");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shaFree = (s: string) => s.replace(/\(([0-9a-f]{7})\)/g, "(<sha>)");

describe("berth diff --format markdown with the objects (a pull request's comment)", () => {
  it("is the golden file; the token is masked in the values and in the Deployment", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--helm", helm, "shop"], dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(3);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, shaFree(r.out));
    }
    expect(shaFree(r.out)).toBe(readFileSync(GOLDEN, "utf8"));
    expect(r.out).not.toContain(SHOP_SECRET);
    expect(r.out).toContain("+            - name: API_TOKEN\n+              value: ••••••\n");
  });

  it("--show-secrets shows it in the Deployment", async () => {
    const r = await runBerth(["diff", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown", "--helm", helm, "--show-secrets", "shop"], dir);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`+            - name: API_TOKEN\n+              value: ${SHOP_SECRET}\n`);
  });
});
