// The change the pull-request tests review, on examples/shop: its application
// rolls out to prod-hk, then to dev after a soak and an approval; the change
// adds api 3.0.7 (prod-hk moves 3.0.6 -> 3.0.7 and runs its step) and a
// secret-looking value on dev (API_TOKEN), which berth diff masks.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { PKG_ROOT } from "../unit/render/fixture.ts";
import { writeFiles } from "./git-remote.ts";

export const SHOP_SECRET = "s3cr3t-token-value";

const shop = (path: string) => readFileSync(join(PKG_ROOT, "examples", "shop", path), "utf8");

function replaced(text: string, from: string, to: string, file: string): string {
  if (!text.includes(from)) throw new Error(`examples/shop/${file} no longer holds ${JSON.stringify(from)}: update test/support/shop-pull-request.ts`);
  return text.replace(from, to);
}

/** examples/shop copied to `dir`, rolling out in waves: prod-hk, then dev after `soak: 10m` and `approval: manual`. */
export function copyShopWithWaves(dir: string): void {
  cpSync(join(PKG_ROOT, "examples", "shop"), dir, { recursive: true });
  const file = "apps/shop.yaml";
  writeFileSync(
    join(dir, file),
    replaced(shop(file), "rollout: { canary: [prod-hk], wait: healthy }", "rollout: { waves: [{ clusters: [prod-hk] }, { clusters: [dev], soak: 10m, approval: manual }] }", file),
  );
}

/** dev's overlay with its `values:` line replaced by `values` (more lines of the api entry may follow it). */
export function devOverlay(values: string): string {
  const file = "overlays/shop-dev.yaml";
  return replaced(shop(file), "values: { env: { LOG_LEVEL: debug } }", values, file);
}

/** The files of the change, relative to the definitions' root. */
export function shopChange(secret = SHOP_SECRET): Record<string, string> {
  return {
    "components/api-3.0.7.yaml": shop("components/api-3.0.6.yaml").replaceAll("3.0.6", "3.0.7"),
    "overlays/shop-dev.yaml": devOverlay(`values: { env: { LOG_LEVEL: debug, API_TOKEN: ${secret} } }`),
  };
}

/**
 * A temporary git repository whose `shop/` is examples/shop in waves (commit
 * "base") and then with the change (commit "head"): `berth diff --base HEAD~1
 * --head HEAD shop` run in it is the pull request.
 */
export async function shopPullRequestRepo(prefix: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]) => execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir });
  copyShopWithWaves(join(dir, "shop"));
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-qm", "base");
  writeFiles(join(dir, "shop"), shopChange());
  await git("add", "-A");
  await git("commit", "-qm", "head");
  return dir;
}

/** The short commit SHAs in a diff's heading differ per run: compared as <sha>. */
export const shaFree = (s: string) => s.replace(/\(([0-9a-f]{7})\)/g, "(<sha>)");

/** The golden file's text, rewritten from `out` first when UPDATE_GOLDEN=1; to compare with shaFree(out). */
export function golden(path: string, out: string): string {
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, shaFree(out));
  }
  return readFileSync(path, "utf8");
}
