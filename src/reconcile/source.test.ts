import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitError, UsageError } from "../errors.ts";
import { createTestRemote, git, tempDir, writeFiles, type TestRemote } from "../../test/support/git-remote.ts";
import type { GitClient } from "../adapters/git.ts";
import { checkSourceArgs, contentHash, isGitUrl, openSource, type GitSource } from "./source.ts";

const read = (dir: string, f: string): string => readFileSync(join(dir, f), "utf8");

describe("isGitUrl", () => {
  it.each([
    ["file:///srv/git/shop.git", true],
    ["https://github.com/org/shop.git", true],
    ["ssh://git@host:2222/org/shop.git", true],
    ["git@github.com:org/shop.git", true],
    ["/srv/git/shop.git", false],
    ["./examples/shop", false],
    ["C:/repos/shop", false],
  ])("%s -> %s", (src, expected) => expect(isGitUrl(src)).toBe(expected));
});

describe("checkSourceArgs", () => {
  it.each([
    ["--upload-pack=touch /tmp/x", "--source"],
    ["-u", "--source"],
    ["--recurse-submodules=yes@x:y", "--source"],
    ["ssh://-oProxyCommand=x/repo.git", "--source"],
    ["ssh://git@-oProxyCommand=x/repo.git", "--source"],
    ["git@-oProxyCommand=x:org/repo.git", "--source"],
  ])("refuses %s (%s)", (src, flag) => expect(() => checkSourceArgs(src)).toThrow(new RegExp(`^${flag} `)));
  it.each([
    "file:///srv/git/shop.git",
    "ssh://git@host:2222/org/shop.git",
    "git@github.com:org/shop.git",
    "https://host/org/repo@-tag.git",
    "/srv/defs@-old",
    "./defs-1",
  ])("accepts %s", (src) => expect(() => checkSourceArgs(src, "main")).not.toThrow());
  it("refuses a ref starting with -", () => expect(() => checkSourceArgs("/srv/defs", "--output=x")).toThrow(UsageError));
});

describe("contentHash", () => {
  const m = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));
  it.each([
    ["order does not matter", m({ a: "1", b: "2" }), m({ b: "2", a: "1" }), true],
    ["content matters", m({ a: "1" }), m({ a: "2" }), false],
    ["paths matter", m({ a: "1" }), m({ b: "1" }), false],
    ["boundaries matter", m({ a: "bc" }), m({ ab: "c" }), false],
    ["a symlink is not a file holding its target text", new Map([["a", { link: "b" }]]), m({ a: "b" }), false],
    ["a symlink's target matters", new Map([["a", { link: "b" }]]), new Map([["a", { link: "c" }]]), false],
  ])("%s", (_what, x, y, same) => expect(contentHash(x) === contentHash(y)).toBe(same));
});

describe("remote source", () => {
  let remote: TestRemote;
  let cacheDir: string;
  let source: GitSource | undefined;
  let clock: number;
  const now = (): Date => new Date(clock);

  beforeEach(() => {
    remote = createTestRemote("trunk");
    cacheDir = tempDir();
    clock = Date.parse("2030-01-01T00:00:00Z");
  });
  afterEach(async () => {
    await source?.close();
    source = undefined;
    remote.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("follows the default branch; a new commit gets its own tree and the previous one stays intact", async () => {
    const c1 = remote.commit({ "apps/shop.yaml": "v: 1\n" });
    source = await openSource(remote.url, { cacheDir, now });
    expect(source.kind).toBe("remote");
    const r1 = await source.fetch();
    expect(r1.sha).toBe(c1);
    expect(read(r1.dir, "apps/shop.yaml")).toBe("v: 1\n");

    const c2 = remote.commit({ "apps/shop.yaml": "v: 2\n", "apps/new.yaml": "n\n" });
    const r2 = await source.fetch();
    expect(r2.sha).toBe(c2);
    expect(r2.dir).not.toBe(r1.dir);
    expect(read(r2.dir, "apps/shop.yaml")).toBe("v: 2\n");
    expect(read(r1.dir, "apps/shop.yaml")).toBe("v: 1\n");
    expect(existsSync(join(r1.dir, "apps/new.yaml"))).toBe(false);
    expect(await source.fetch()).toEqual(r2); // no change: same revision, same tree
  });

  it.each([
    ["a tag", "v1"],
    ["a commit SHA", "<c1>"],
  ])("pins %s even after newer pushes", async (_what, ref) => {
    const c1 = remote.commit({ "a.yaml": "1" });
    remote.tag("v1");
    remote.commit({ "a.yaml": "2" });
    source = await openSource(remote.url, { cacheDir, ref: ref === "<c1>" ? c1 : ref });
    const rev = await source.fetch();
    expect(rev.sha).toBe(c1);
    expect(read(rev.dir, "a.yaml")).toBe("1");
  });

  it("keeps the last good revision and reports staleness while the remote is unreachable", async () => {
    const c1 = remote.commit({ "a.yaml": "1" });
    source = await openSource(remote.url, { cacheDir, now });
    const good = await source.fetch();
    expect(source.status()).toEqual({ lastGood: good, lastSuccessAt: now(), staleSince: undefined });

    renameSync(remote.bare, `${remote.bare}.away`);
    clock += 60_000;
    const failedAt = now();
    await expect(source.fetch()).rejects.toThrow(GitError);
    clock += 60_000;
    const err = await source.fetch().catch((e: unknown) => e);
    expect((err as GitError).command).toContain(remote.url);
    expect(source.status()).toMatchObject({
      lastGood: { sha: c1 },
      staleSince: failedAt, // the first failure, not the latest
      lastErrorAt: now(),
      lastError: expect.stringContaining("git fetch"),
    });
    expect(read(good.dir, "a.yaml")).toBe("1");

    renameSync(`${remote.bare}.away`, remote.bare);
    const c2 = remote.commit({ "a.yaml": "2" });
    clock += 60_000;
    expect((await source.fetch()).sha).toBe(c2);
    expect(source.status()).toMatchObject({
      lastGood: { sha: c2 },
      lastSuccessAt: now(),
      staleSince: undefined,
      lastErrorAt: new Date(failedAt.getTime() + 60_000), // history stays readable
    });
  });

  it("never puts credentials of an https URL in errors or status", async () => {
    source = await openSource("https://deployer:s3cret@127.0.0.1:9/shop.git", { cacheDir });
    expect(source.location).toBe("https://***@127.0.0.1:9/shop.git");
    const err = await source.fetch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect(`${(err as Error).message} ${(err as GitError).stderr} ${source.status().lastError}`).not.toContain("s3cret");
    expect(JSON.stringify(readdirSync(cacheDir))).not.toContain("s3cret");
  });

  it("keeps only the last `keep` revision trees", async () => {
    source = await openSource(remote.url, { cacheDir, keep: 2 });
    const dirs: string[] = [];
    for (const v of ["1", "2", "3", "4"]) {
      remote.commit({ "a.yaml": v });
      dirs.push((await source.fetch()).dir);
    }
    expect(dirs.map((d) => existsSync(d))).toEqual([false, false, true, true]);
  });

  it("replaces a damaged tree left by an earlier run", async () => {
    remote.commit({ "a.yaml": "1" });
    source = await openSource(remote.url, { cacheDir });
    const first = await source.fetch();
    await source.close();
    writeFileSync(join(first.dir, "a.yaml"), "half-written");
    source = await openSource(remote.url, { cacheDir });
    const again = await source.fetch();
    expect(again).toEqual(first);
    expect(read(again.dir, "a.yaml")).toBe("1");
  });

  it.each([
    ["a bare repository path", (r: TestRemote) => r.bare, undefined],
    ["a work tree path with --ref", (r: TestRemote) => join(r.root, "work"), "trunk"],
  ])("treats %s as a remote", async (_what, src, ref) => {
    const c1 = remote.commit({ "a.yaml": "1" });
    writeFiles(join(remote.root, "work"), { "a.yaml": "uncommitted" });
    source = await openSource(src(remote), { cacheDir, ref });
    expect(source.kind).toBe("remote");
    const rev = await source.fetch();
    expect(rev.sha).toBe(c1);
    expect(read(rev.dir, "a.yaml")).toBe("1");
  });
});

describe("local source", () => {
  let dir: string;
  let cacheDir: string;
  beforeEach(() => {
    dir = tempDir();
    cacheDir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("snapshots a plain directory under a content id, hidden entries left out", async () => {
    writeFiles(dir, { "apps/shop.yaml": "v: 1\n", ".secret/x": "no", ".env": "no" });
    const source = await openSource(dir, { cacheDir });
    expect(source).toMatchObject({ kind: "local", location: dir, watchPath: dir });
    const r1 = await source.fetch();
    expect(r1.sha).toMatch(/^local-[0-9a-f]{12}$/);
    expect(r1.dir.startsWith(cacheDir)).toBe(true);
    expect(readdirSync(r1.dir)).toEqual(["apps"]);
    expect(read(r1.dir, "apps/shop.yaml")).toBe("v: 1\n");

    writeFiles(dir, { ".env": "changed" });
    expect((await source.fetch()).sha).toBe(r1.sha); // hidden edits are not a revision
    writeFiles(dir, { "apps/shop.yaml": "v: 2\n" });
    const r2 = await source.fetch();
    expect(r2.sha).not.toBe(r1.sha);
    expect(read(r2.dir, "apps/shop.yaml")).toBe("v: 2\n");
    expect(read(r1.dir, "apps/shop.yaml")).toBe("v: 1\n"); // the snapshot, not the live file
    writeFiles(dir, { "apps/shop.yaml": "v: 1\n" });
    expect((await source.fetch()).sha).toBe(r1.sha);
  });

  it("names a git work tree by HEAD, and by HEAD plus a content hash while dirty", async () => {
    git(dir, "init", "--quiet", "--initial-branch=main");
    writeFiles(dir, { "a.yaml": "1", ".gitignore": "*.tmp\n" });
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "--quiet", "-m", "x");
    const head = git(dir, "rev-parse", "HEAD");
    writeFiles(dir, { "notes.tmp": "ignored" });
    const source = await openSource(dir, { cacheDir });
    expect((await source.fetch()).sha).toBe(head);
    writeFiles(dir, { "a.yaml": "2" });
    const dirty = await source.fetch();
    expect(dirty.sha).toMatch(new RegExp(`^${head}-dirty-[0-9a-f]{12}$`));
    expect(read(dirty.dir, "a.yaml")).toBe("2");
    expect(existsSync(join(dirty.dir, "notes.tmp"))).toBe(false);
  });

  it("keeps a symlink as a link: one inside the tree still reads its target there, and a retarget is a new revision", async () => {
    writeFiles(dir, { "shared/t.yaml": "kind: ConfigMap\n", "templates/own.yaml": "kind: Secret\n" });
    symlinkSync("../shared/t.yaml", join(dir, "templates/link.yaml"));
    const source = await openSource(dir, { cacheDir });
    const r1 = await source.fetch();
    expect(lstatSync(join(r1.dir, "templates/link.yaml")).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(r1.dir, "templates/link.yaml"))).toBe("../shared/t.yaml");
    expect(read(r1.dir, "templates/link.yaml")).toBe("kind: ConfigMap\n"); // resolves inside the snapshot
    rmSync(join(dir, "templates/link.yaml"));
    symlinkSync("own.yaml", join(dir, "templates/link.yaml"));
    const r2 = await source.fetch();
    expect(r2.sha).not.toBe(r1.sha);
    expect(read(r2.dir, "templates/link.yaml")).toBe("kind: Secret\n");
  });

  it("refuses a path that is no directory", async () => {
    await expect(openSource(join(dir, "missing"), { cacheDir })).rejects.toThrow(UsageError);
    await expect(openSource(join(dir, "missing"), { cacheDir })).rejects.toThrow(/no such directory; give a directory or a git URL/);
  });
});

describe("remote source with a token file (--git-token-file)", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // A GitClient that records what fetchCommit got; nothing else is called before it.
  const recordingGit = (seen: unknown[]): GitClient => ({
    initBare: async () => undefined,
    isBareRepo: async () => false,
    fetchCommit: async (_repo, _url, _ref, opts) => {
      seen.push(opts);
      throw new GitError(["fetch"], "fatal: stop here");
    },
    addWorktree: async () => undefined,
    removeWorktree: async () => undefined,
    listWorktrees: async () => [],
    cleanCheckout: async () => undefined,
    workTreeState: async () => undefined,
  });

  it("hands git the token read again before each fetch, so a rotated token is used", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "first-token\n");
    const seen: unknown[] = [];
    const source = await openSource("https://git.example.com/org/defs.git", { cacheDir: dir, git: recordingGit(seen), credentials: { tokenFile, username: "bot" } });
    await source.fetch().catch(() => undefined);
    writeFileSync(tokenFile, "second-token\n");
    await source.fetch().catch(() => undefined);
    expect(seen).toEqual([{ credentials: { username: "bot", token: "first-token" } }, { credentials: { username: "bot", token: "second-token" } }]);
    expect(source.location).toBe("https://git.example.com/org/defs.git");
  });

  it.each([
    ["an ssh remote", "ssh://git@git.example.com/org/defs.git", /is for an http:\/\/ or https:\/\/ --source; ssh:\/\/\*\*\*@git.example.com\/org\/defs.git is not one/],
    ["a directory", "<dir>", /is for an http:\/\/ or https:\/\/ --source/],
    ["credentials in the URL too", "https://deployer:s3cret@git.example.com/defs.git", /carries credentials in the URL as well as --git-token-file/],
  ])("refuses %s", async (_what, src, message) => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "tok\n");
    const err = await openSource(src === "<dir>" ? dir : src, { cacheDir: dir, credentials: { tokenFile, username: "bot" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("s3cret");
  });

  it("refuses a missing token file before anything is fetched", async () => {
    const seen: unknown[] = [];
    const err = await openSource("https://git.example.com/defs.git", { cacheDir: dir, git: recordingGit(seen), credentials: { tokenFile: join(dir, "absent"), username: "bot" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/--git-token-file FILE .*cannot read .*absent \(ENOENT\)/);
    expect(seen).toEqual([]);
  });
});
