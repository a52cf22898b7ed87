// A person rolls a release back by hand: berth leaves it alone until git changes it or `berth resume`.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-manual";

let repo: GitFixture;
let cache: string;
const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "30"];
const once = () => berth(["reconcile", "--once", ...flags(), "--output", "json"]);
const helmCalls = (out: string) => JSON.parse(out.trim().split("\n").at(-1)!).helmCalls as number;

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([east]),
    "components/m-1.0.0.yaml": webComponent("man-api", "1.0.0"),
    "components/m-1.1.0.yaml": webComponent("man-api", "1.1.0"),
    "apps/man.yaml": `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: man }\nspec:\n  namespace: ${NS}\n  components:\n    - { name: api, component: man-api, version: "~1.0.0" }\n`,
  });
});
afterAll(async () => removeRepo(repo));

describe("berth rollback and resume", () => {
  it("suspends a release rolled back by hand until resume", async () => {
    expect((await once()).code).toBe(0);
    await commitFiles(repo, { "apps/man.yaml": `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: man }\nspec:\n  namespace: ${NS}\n  components:\n    - { name: api, component: man-api, version: "^1.0.0" }\n` });
    expect((await once()).code).toBe(0);
    expect(await deploymentImage(east, NS, "man-api")).toBe("registry.example.com/test/man-api:1.1.0");

    const rb = await berth(["rollback", "man-api", "--cluster", "east", "--to", "1", ...flags()]);
    expect(rb.err).toBe("");
    expect(rb.out).toMatch(/rolled back man-api on east to revision 1; automatic reconciliation is suspended/);
    expect(await deploymentImage(east, NS, "man-api")).toBe("registry.example.com/test/man-api:1.0.0");

    const held = await once();
    expect(helmCalls(held.out)).toBe(0);
    expect(await deploymentImage(east, NS, "man-api")).toBe("registry.example.com/test/man-api:1.0.0");
    const status = await berth(["status", ...flags()]);
    expect(status.out).toMatch(/man-api\s+rt-manual\s+blocked\s+1\.1\.0\s+1\.0\.0\s+3\s+healthy \(suspended\)/);

    const res = await berth(["resume", "man-api", "--cluster", "east", ...flags()]);
    expect(res.code).toBe(0);
    expect((await once()).code).toBe(0);
    expect(await deploymentImage(east, NS, "man-api")).toBe("registry.example.com/test/man-api:1.1.0");
    const hist = await berth(["history", "man-api", "--cluster", "east", ...flags(), "--output", "json"]);
    expect(JSON.parse(hist.out).map((r: { action: string }) => r.action)).toEqual(["install", "upgrade", "rollback", "resume", "upgrade"]);
  });

  it("names the revisions there are when asked for one that is not", async () => {
    const r = await berth(["rollback", "man-api", "--cluster", "east", "--to", "99", ...flags()]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/release man-api on cluster east has no revision 99; it has 1 \(1\.0\.0, superseded\)/);
  });
});
