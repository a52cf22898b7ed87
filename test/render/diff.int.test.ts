// `berth diff` with the REAL helm: the objects of the changed releases'
// manifests (`helm template` of both sides), on a temporary git copy of
// examples/shop with a replicas change and an image change.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runBerth } from "../support/cli.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const { helm } = inject("binaries");
const dir = mkdtempSync(join(tmpdir(), "berth-diff-int-"));
const git = (...args: string[]) => execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir });
const diff = (...args: string[]) => runBerth(["diff", "--base", "HEAD", "--helm", helm, ...args, "shop"], dir);

function edit(path: string, from: string, to: string): void {
  const file = join(dir, "shop", path);
  const text = readFileSync(file, "utf8");
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

beforeAll(async () => {
  cpSync(join(PKG_ROOT, "examples", "shop"), join(dir, "shop"), { recursive: true });
  await git("init", "-q", "-b", "main");
  await git("add", "-A");
  await git("commit", "-qm", "base");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("berth diff: the objects of the rendered manifests", () => {
  it("no change: No changes., and nothing from helm", async () => {
    const r = await diff();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe("No changes.\n");
  });

  it("a replicas change and an image change show as the Deployment's changed lines (and 2 replicas bring a PodDisruptionBudget), in text and collapsed in markdown", async () => {
    edit("overlays/shop-dev.yaml", "    api:\n      version:", "    api:\n      replicas: 2\n      version:");
    edit("components/api-3.1.0-rc.1.yaml", "image: registry.example.com/shop/api\n    command", "image: registry.example.com/shop/api-next\n    command");

    const text = await diff();
    expect(text.err).toBe("");
    expect(text.code).toBe(3);
    expect(text.out).toContain("dev/shop/api (shop-api) changed: values");
    expect(text.out).toMatch(/\n {6}objects: 1 changed, 1 added \(\d+ unchanged\)\n {8}~ Deployment\/shop\/shop-api\n {12}@@ /);
    // disruptionBudget is on by default from 2 replicas: the move adds it
    expect(text.out).toContain("values ~ traits.disruptionBudget.enabled: false -> true");
    expect(text.out).toMatch(/\n {8}\+ PodDisruptionBudget\/shop\/shop-api\n {12}@@ -0,0 \+1,\d+ @@\n/);
    expect(text.out).toMatch(/\n {12}- {2}replicas: 1\n {12}\+ {2}replicas: 2\n/);
    expect(text.out).toMatch(/\n {12}-.*image: registry\.example\.com\/shop\/api:3\.1\.0-rc\.1\n {12}\+.*image: registry\.example\.com\/shop\/api-next:3\.1\.0-rc\.1\n/);
    // the other releases did not change, and prod's api is on another version: not compared
    expect(text.out).not.toContain("prod-hk/");
    expect(text.out).toMatch(/objects: 1 changed, 1 added\n$/);

    const md = await diff("--format", "markdown");
    expect(md.code).toBe(3);
    expect(md.out).toContain("### Objects");
    expect(md.out).toMatch(/<details( open)?><summary>~ dev\/shop\/api \(shop-api\): objects: 1 changed, 1 added \(\d+ unchanged\)<\/summary>/);
    expect(md.out).toContain("~ `Deployment/shop/shop-api` changed\n\n```diff\n@@ ");
    expect(md.out).toContain("-  replicas: 1\n+  replicas: 2\n");
    expect(md.out.split("<details").length).toBe(md.out.split("</details>").length);

    const fast = await runBerth(["diff", "--base", "HEAD", "--helm", "/no/such/helm", "--no-manifests", "shop"], dir);
    expect(fast.err).toBe("");
    expect(fast.code).toBe(3);
    expect(fast.out).not.toContain("objects");
  });

  it("a trait switched on adds its object; a cluster no longer selected lists its releases' objects as removed", async () => {
    await git("checkout", "-q", "--", ".");
    edit("overlays/shop-dev.yaml", "        autoscaler: false\n", "");
    edit("clusters/prod-hk.yaml", "env: prod", "env: qa");
    edit("apps/shop.yaml", "    rollout: { canary: [prod-hk], wait: healthy }\n", "");
    const r = await diff();
    expect(r.err).toBe("");
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/\n {8}\+ HorizontalPodAutoscaler\/shop\/shop-api\n {12}@@ -0,0 \+1,\d+ @@\n/);
    expect(r.out).toMatch(/- prod-hk\/shop\/api \(shop-api\) removed[^\n]*\n {6}objects: \d+ removed\n {8}- /);
  });
});
