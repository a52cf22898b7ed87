import { renameSync, rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitError } from "../errors.ts";
import { createTestRemote, tempDir, writeFiles, type TestRemote } from "../../test/support/git-remote.ts";
import { openSource, type GitSource, type Revision } from "./source.ts";
import { watchSource, type SourceWatch, type WatchSourceOptions } from "./watch-source.ts";

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts fetches, so "no change, no report" is checked against real polls. */
function counting(source: GitSource): GitSource & { fetches: number } {
  const s = { ...source, fetches: 0 };
  s.fetch = () => {
    s.fetches++;
    return source.fetch();
  };
  return s;
}

function recorder() {
  const revisions: Revision[] = [];
  const errors: unknown[] = [];
  const opts: Pick<WatchSourceOptions, "onRevision" | "onError"> = {
    onRevision: (r) => void revisions.push(r),
    onError: (e) => void errors.push(e),
  };
  return { revisions, errors, opts };
}

describe("watchSource on a remote", () => {
  let remote: TestRemote;
  let cacheDir: string;
  let watch: SourceWatch | undefined;
  beforeEach(() => {
    remote = createTestRemote();
    cacheDir = tempDir();
  });
  afterEach(async () => {
    await watch?.close();
    watch = undefined;
    remote.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("reports each new commit once, and nothing while nothing changes", async () => {
    const c1 = remote.commit({ "a.yaml": "1" });
    const source = counting(await openSource(remote.url, { cacheDir }));
    const rec = recorder();
    watch = watchSource(source, { intervalMs: 50, ...rec.opts });
    await watch.ready;
    expect(rec.revisions.map((r) => r.sha)).toEqual([c1]);
    await waitFor(() => source.fetches >= 4); // several polls of an unchanged remote
    expect(rec.revisions).toHaveLength(1);

    const c2 = remote.commit({ "a.yaml": "2" });
    await waitFor(() => rec.revisions.length === 2);
    const polled = source.fetches;
    await waitFor(() => source.fetches >= polled + 3);
    expect(rec.revisions.map((r) => r.sha)).toEqual([c1, c2]);
    expect(rec.errors).toEqual([]);
  });

  it("reports an unreachable remote through onError and resumes when it is back", async () => {
    const c1 = remote.commit({ "a.yaml": "1" });
    const source = await openSource(remote.url, { cacheDir });
    const rec = recorder();
    watch = watchSource(source, { intervalMs: 50, ...rec.opts });
    await watch.ready;
    renameSync(remote.bare, `${remote.bare}.away`);
    await waitFor(() => rec.errors.length >= 2); // keeps polling after a failure
    expect(rec.errors[0]).toBeInstanceOf(GitError);
    expect(source.status()).toMatchObject({ lastGood: { sha: c1 }, staleSince: expect.any(Date) });

    renameSync(`${remote.bare}.away`, remote.bare);
    const c2 = remote.commit({ "a.yaml": "2" });
    await waitFor(() => rec.revisions.length === 2);
    expect(rec.revisions.map((r) => r.sha)).toEqual([c1, c2]);
    expect(source.status().staleSince).toBeUndefined();
  });

  it("fetches on trigger() without waiting for the interval, and coalesces calls", async () => {
    remote.commit({ "a.yaml": "1" });
    const source = counting(await openSource(remote.url, { cacheDir }));
    const rec = recorder();
    watch = watchSource(source, { intervalMs: 60_000, ...rec.opts });
    await watch.ready;
    const c2 = remote.commit({ "a.yaml": "2" });
    await Promise.all([watch.trigger(), watch.trigger(), watch.trigger()]);
    expect(rec.revisions.at(-1)?.sha).toBe(c2);
    expect(source.fetches).toBe(3); // the first, one running trigger, one queued for the rest
  });

  it("reports a throwing onRevision as an error and does not report that revision again", async () => {
    remote.commit({ "a.yaml": "1" });
    const source = counting(await openSource(remote.url, { cacheDir }));
    const errors: unknown[] = [];
    let calls = 0;
    watch = watchSource(source, {
      intervalMs: 30,
      onRevision: () => {
        calls++;
        throw new Error("invalid revision");
      },
      onError: (e) => void errors.push(e),
    });
    await watch.ready;
    await waitFor(() => source.fetches >= 4);
    expect(calls).toBe(1);
    expect(errors).toEqual([new Error("invalid revision")]);
  });

  it("stops polling when its signal aborts", async () => {
    remote.commit({ "a.yaml": "1" });
    const source = counting(await openSource(remote.url, { cacheDir }));
    const ac = new AbortController();
    watch = watchSource(source, { intervalMs: 30, signal: ac.signal, ...recorder().opts });
    await watch.ready;
    ac.abort();
    await sleep(50); // let a fetch in flight finish
    const after = source.fetches;
    await sleep(200);
    expect(source.fetches).toBe(after);
  });
});

describe("watchSource on a local directory", () => {
  let dir: string;
  let cacheDir: string;
  let watch: SourceWatch | undefined;
  beforeEach(() => {
    dir = tempDir();
    cacheDir = tempDir();
  });
  afterEach(async () => {
    await watch?.close();
    watch = undefined;
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("sees a file change through the file watcher, debounced, ignoring hidden files", async () => {
    writeFiles(dir, { "apps/shop.yaml": "v: 1\n" });
    const source = counting(await openSource(dir, { cacheDir }));
    const rec = recorder();
    // A long interval: only the file watcher can explain a prompt fetch.
    watch = watchSource(source, { intervalMs: 60_000, debounceMs: 100, ...rec.opts });
    await watch.ready;
    expect(source.fetches).toBe(1);

    writeFiles(dir, { ".cache/x": "1", ".env": "A=1" });
    await sleep(400);
    expect(source.fetches).toBe(1);

    const started = Date.now();
    for (const v of ["2", "3", "4"]) writeFiles(dir, { "apps/shop.yaml": `v: ${v}\n` });
    await waitFor(() => rec.revisions.length === 2, 3_000);
    const latency = Date.now() - started;
    await sleep(300);
    expect(source.fetches).toBe(2); // one burst, one fetch
    expect(rec.revisions[1]?.sha).toMatch(/^local-/);
    expect(latency).toBeLessThan(3_000);
  });
});
