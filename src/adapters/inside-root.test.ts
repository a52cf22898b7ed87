import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isInside, resolveInsideSync } from "./inside-root.ts";

describe("isInside", () => {
  it.each([
    ["/repo", "/repo", true],
    ["/repo", "/repo/a/b.yaml", true],
    ["/repo", "/repo/..a", true], // a name starting with two dots is still inside
    ["/repo", "/repo-other/a", false],
    ["/repo", "/", false],
    ["/repo", "/etc/hostname", false],
    ["/repo/sub", "/repo", false],
  ])("%s contains %s: %s", (root, path, inside) => expect(isInside(root, path)).toBe(inside));
});

describe("resolveInsideSync", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "berth-inside-")));
  const outside = realpathSync(mkdtempSync(join(tmpdir(), "berth-outside-")));
  afterAll(() => [root, outside].forEach((d) => rmSync(d, { recursive: true, force: true })));
  writeFileSync(join(root, "a.yaml"), "a");
  writeFileSync(join(outside, "secret"), "s");
  symlinkSync("a.yaml", join(root, "in.yaml"));
  symlinkSync(join(outside, "secret"), join(root, "out.yaml"));
  symlinkSync(`../${outside.split("/").pop()}/secret`, join(root, "up.yaml"));
  symlinkSync("nowhere", join(root, "dangling.yaml"));

  it.each([
    ["a.yaml", { real: "a.yaml" }],
    ["in.yaml", { real: "a.yaml" }],
    ["dangling.yaml", { missing: true }],
    ["nope.yaml", { missing: true }],
  ])("%s -> %j", (path, want) => {
    const got = resolveInsideSync(root, join(root, path));
    expect(got).toEqual("real" in want ? { real: join(root, want.real) } : want);
  });

  it.each(["out.yaml", "up.yaml"])("%s leads outside", (path) => {
    expect(resolveInsideSync(root, join(root, path))).toEqual({ outside: join(outside, "secret") });
  });
});
