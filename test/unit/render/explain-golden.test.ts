// `berth explain` on examples/shop, pinned byte for byte: the api release on
// dev (an Overlay letting a prerelease in, switching the autoscaler off and
// overriding the ingress host) and on prod-hk (4 replicas from an Overlay, a
// PodDisruptionBudget on by default). UPDATE_GOLDEN=1 rewrites them.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PKG_ROOT } from "./fixture.ts";
import { runBerth } from "../../support/cli.ts";

const CASES = [
  ["shop-api", "dev", "text"],
  ["shop-api", "prod-hk", "text"],
  ["shop-redis", "dev", "json"],
] as const;

describe("berth explain examples/shop", () => {
  it.each(CASES)("%s on %s (%s)", async (release, cluster, output) => {
    const r = await runBerth(["explain", release, "--cluster", cluster, "--output", output, join(PKG_ROOT, "examples", "shop")]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const golden = join(PKG_ROOT, "test", "golden", "explain", `${release}.${cluster}.${output === "json" ? "json" : "txt"}`);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, r.out);
    }
    expect(r.out).toBe(readFileSync(golden, "utf8"));
  });

  it("names the releases there are when asked for one that is not, exit 2", async () => {
    const r = await runBerth(["explain", "shop-web", "--cluster", "dev", join(PKG_ROOT, "examples", "shop")]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('error: no release "shop-web" on cluster dev (releases there: shop-api, shop-db-init, shop-redis)\n');
  });
});
