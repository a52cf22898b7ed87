// `berth explain` on examples/shop, pinned byte for byte: the api release on
// dev (an Overlay letting a prerelease in, switching the autoscaler off and
// overriding the ingress host) and on prod-hk (4 replicas from an Overlay, a
// PodDisruptionBudget on by default). UPDATE_GOLDEN=1 rewrites them.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PKG_ROOT } from "./fixture.ts";
import { runBerth } from "../../support/cli.ts";
import { commitFiles, createBareRepo, removeRepo, type FileTree } from "../../support/git.ts";

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

  it("reads a git source at a ref, as the reconciler would: --source URL --ref BRANCH", async () => {
    const shop = join(PKG_ROOT, "examples", "shop");
    const files: FileTree = {};
    for (const f of readdirSync(shop, { recursive: true, withFileTypes: true })) {
      if (f.isFile()) files[join(f.parentPath, f.name).slice(shop.length + 1)] = readFileSync(join(f.parentPath, f.name), "utf8");
    }
    const repo = await createBareRepo();
    const cache = await mkdtemp(join(tmpdir(), "berth-explain-"));
    try {
      await commitFiles(repo, files);
      const prod = files["overlays/shop-prod.yaml"]!;
      await commitFiles(repo, { "overlays/shop-prod.yaml": prod.replace("replicas: 4", "replicas: 6") }, { branch: "more" });
      const at = async (ref?: string) => {
        const r = await runBerth(["explain", "shop-api", "--cluster", "prod-hk", "--source", repo.url, ...(ref ? ["--ref", ref] : []), "--cache-dir", cache, "--output", "json"]);
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
        const e = JSON.parse(r.out) as { values: { path: string; value: unknown; source: { at: string } }[] };
        return e.values.find((v) => v.path === "replicas");
      };
      expect(await at()).toMatchObject({ value: 4, source: { at: expect.stringMatching(/^overlays\/shop-prod\.yaml:\d+:\d+$/) } });
      expect(await at("more")).toMatchObject({ value: 6, source: { at: expect.stringMatching(/^overlays\/shop-prod\.yaml:/) } });
    } finally {
      await removeRepo(repo);
      await rm(cache, { recursive: true, force: true });
    }
  });

  it("--ref without --source is a usage error", async () => {
    const r = await runBerth(["explain", "shop-api", "--cluster", "dev", "--ref", "main", join(PKG_ROOT, "examples", "shop")]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("--ref needs --source");
  });
});
