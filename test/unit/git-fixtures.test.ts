import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { afterEach, describe, expect, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type FileTree, type GitFixture } from "../support/git.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function fixture(): Promise<GitFixture> {
  const repo = await createBareRepo();
  cleanups.push(() => removeRepo(repo));
  return repo;
}

/** Clones the fixture's URL afresh, as berth would, and returns the clone's folder. */
async function cloneOf(url: string, ref?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "berth-clone-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await simpleGit().clone(url, dir, ref === undefined ? [] : ["--branch", ref]);
  return dir;
}

async function treeOf(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name === ".git") continue;
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    out.push(...(entry.isDirectory() ? await treeOf(dir, path) : [path]));
  }
  return out.sort();
}

describe("git fixtures", () => {
  it("commits a tree of files to a bare repository that a fresh clone sees", async () => {
    const repo = await fixture();
    expect(repo.url).toMatch(/^file:\/\//);
    const sha = await commitFiles(repo, {
      "apps/shop.yaml": "kind: Application\n",
      "components/api/3.0.6.yaml": "kind: Component\n",
    });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const clone = await cloneOf(repo.url);
    expect(await treeOf(clone)).toEqual(["apps/shop.yaml", "components/api/3.0.6.yaml"]);
    expect(await readFile(join(clone, "apps/shop.yaml"), "utf8")).toBe("kind: Application\n");
    expect((await simpleGit(clone).revparse(["HEAD"])).trim()).toBe(sha);
  });

  it.each<{ replace: boolean; files: FileTree; expected: string[] }>([
    { replace: false, files: { "b.yaml": "b2\n", "a.yaml": null }, expected: ["b.yaml", "c.yaml"] },
    { replace: true, files: { "d.yaml": "d\n" }, expected: ["d.yaml"] },
  ])("a second commit with replace=$replace leaves $expected", async ({ replace, files, expected }) => {
    const repo = await fixture();
    const first = await commitFiles(repo, { "a.yaml": "a\n", "b.yaml": "b\n", "c.yaml": "c\n" });
    const second = await commitFiles(repo, files, { replace, message: "second" });
    expect(second).not.toBe(first);
    const clone = await cloneOf(repo.url);
    expect(await treeOf(clone)).toEqual(expected);
    const log = await simpleGit(clone).log();
    expect(log.all.map((c) => c.message)).toEqual(["second", expect.any(String)]);
  });

  it("pushes other branches and tags without moving the default branch", async () => {
    const repo = await fixture();
    const onMain = await commitFiles(repo, { "a.yaml": "main\n" });
    const onFeature = await commitFiles(repo, { "a.yaml": "feature\n" }, { branch: "feature", tag: "v1" });
    expect(await readFile(join(await cloneOf(repo.url), "a.yaml"), "utf8")).toBe("main\n");
    expect(await readFile(join(await cloneOf(repo.url, "feature"), "a.yaml"), "utf8")).toBe("feature\n");
    const tags = await simpleGit(repo.bareDir).raw(["rev-parse", "refs/tags/v1", "refs/heads/main"]);
    expect(tags.trim().split("\n")).toEqual([onFeature, onMain]);
  });

  it("refuses paths that leave the repository", async () => {
    const repo = await fixture();
    await expect(commitFiles(repo, { "../outside.yaml": "x" })).rejects.toThrow(/escapes the repository/);
  });
});
