import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError } from "../errors.ts";
import { createTestRemote, git, tempDir, writeFiles, type TestRemote } from "../../test/support/git-remote.ts";
import { createGitClient } from "./git.ts";

const client = createGitClient({ timeoutMs: 15_000 });

describe("git adapter: fetch from a remote", () => {
  let remote: TestRemote;
  let cache: string;
  let first: string;
  let second: string;

  beforeAll(() => {
    remote = createTestRemote("trunk"); // not `main`: the default branch must come from the remote
    first = remote.commit({ "a.yaml": "v: 1\n" }, "first");
    remote.tag("v1");
    second = remote.commit({ "a.yaml": "v: 2\n" }, "second");
    cache = tempDir();
  });
  afterAll(() => {
    remote.cleanup();
    rmSync(cache, { recursive: true, force: true });
  });

  it("HEAD names the remote's default branch", async () => {
    const repo = join(cache, "r1.git");
    await client.initBare(repo);
    await client.initBare(repo); // idempotent
    expect(await client.isBareRepo(repo)).toBe(true);
    expect(await client.fetchCommit(repo, remote.url, "HEAD")).toBe(second);
    expect(await client.fetchCommit(repo, remote.url, "trunk")).toBe(second);
  });

  it.each([
    ["an annotated tag", "v1"],
    ["a full commit SHA", "<first>"],
  ])("fetches %s as its commit", async (_what, ref) => {
    const repo = join(cache, "r2.git");
    await client.initBare(repo);
    expect(await client.fetchCommit(repo, remote.bare, ref === "<first>" ? first : ref)).toBe(first);
  });

  it("does not write the URL (or its credentials) into the cache", async () => {
    const repo = join(cache, "r3.git");
    await client.initBare(repo);
    await client.fetchCommit(repo, remote.url, "HEAD");
    expect(existsSync(join(repo, "FETCH_HEAD"))).toBe(false);
    expect(readFileSync(join(repo, "config"), "utf8")).not.toContain(remote.bare);
  });

  it.each([
    ["an unknown branch", "nope", /git fetch .* \+nope:refs\/berth\/fetched: .*nope.*\(check that the URL is reachable/],
    ["a short SHA", "abc1234", /full 40-character SHA/],
  ])("fails on %s with a GitError naming the command", async (_what, ref, message) => {
    const repo = join(cache, "r4.git");
    await client.initBare(repo);
    const err = await client.fetchCommit(repo, remote.url, ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toMatch(message);
    expect((err as GitError).stderr).not.toBe("");
  });

  it("redacts credentials of an unreachable https remote", async () => {
    const repo = join(cache, "r5.git");
    await client.initBare(repo);
    const err = await client.fetchCommit(repo, "https://deployer:s3cret@127.0.0.1:9/shop.git", "main").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    const e = err as GitError;
    expect(e.command).toContain("https://***@127.0.0.1:9/shop.git");
    for (const text of [e.message, e.command, e.stderr, String(e.stack)]) expect(text).not.toContain("s3cret");
  });

  it("checks commits out into separate work trees and removes them", async () => {
    const repo = join(cache, "r6.git");
    await client.initBare(repo);
    await client.fetchCommit(repo, remote.url, first);
    await client.fetchCommit(repo, remote.url, second);
    const [d1, d2] = [join(cache, "revs", first), join(cache, "revs", second)];
    await client.addWorktree(repo, d1, first);
    await client.addWorktree(repo, d2, second);
    expect(readFileSync(join(d1, "a.yaml"), "utf8")).toBe("v: 1\n");
    expect(readFileSync(join(d2, "a.yaml"), "utf8")).toBe("v: 2\n");
    expect((await client.listWorktrees(repo)).sort()).toEqual([d1, d2].sort());
    expect(await client.cleanCheckout(d1)).toBe(first);
    writeFileSync(join(d1, "a.yaml"), "tampered");
    expect(await client.cleanCheckout(d1)).toBeUndefined();
    expect(await client.cleanCheckout(join(cache, "revs", "missing"))).toBeUndefined();
    await client.removeWorktree(repo, d1);
    expect(existsSync(d1)).toBe(false);
    expect(await client.listWorktrees(repo)).toEqual([d2]);
  });
});

describe("git adapter: work tree state of a local directory", () => {
  it("is undefined outside git", async () => {
    const dir = tempDir();
    expect(await client.workTreeState(dir)).toBeUndefined();
    rmSync(dir, { recursive: true });
  });

  it("reports HEAD, dirtiness and the visible files", async () => {
    const dir = tempDir();
    git(dir, "init", "--quiet", "--initial-branch=main");
    writeFiles(dir, { "apps/shop.yaml": "a\n", ".gitignore": "*.tmp\n" });
    expect(await client.workTreeState(dir)).toEqual({ head: undefined, dirty: true, files: [".gitignore", "apps/shop.yaml"] });
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "--quiet", "-m", "x");
    const head = git(dir, "rev-parse", "HEAD");
    writeFiles(dir, { "scratch.tmp": "ignored" });
    expect(await client.workTreeState(dir)).toEqual({ head, dirty: false, files: [".gitignore", "apps/shop.yaml"] });
    writeFiles(dir, { "new.yaml": "b\n" });
    expect(await client.workTreeState(dir)).toEqual({ head, dirty: true, files: [".gitignore", "apps/shop.yaml", "new.yaml"] });
    // In a sub-directory, paths are relative to it.
    expect((await client.workTreeState(join(dir, "apps")))?.files).toEqual(["shop.yaml"]);
    rmSync(dir, { recursive: true });
  });
});
