// The archive cache on a real temporary directory: puts of the same chart at
// once (two releases pinning it from two repositories) all succeed.
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createArchiveCache, sha256 } from "./cache.ts";

describe("createArchiveCache", () => {
  it("concurrent puts of one digest (and one alias) all land, leaving one file and no temporaries", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-archive-cache-"));
    const cache = createArchiveCache(dir);
    const bytes = Buffer.from("a chart");
    const digest = sha256(bytes);
    const paths = await Promise.all(Array.from({ length: 8 }, () => cache.put(digest, bytes, "sha256:manifest")));
    expect(new Set(paths).size).toBe(1);
    expect(await readFile(paths[0]!)).toEqual(bytes);
    expect((await readdir(dir)).sort()).toEqual(["manifests", `${digest.replace(":", "-")}.tgz`]);
    expect(await readdir(join(dir, "manifests"))).toEqual(["sha256-manifest"]);
    expect(await cache.get("sha256:manifest")).toEqual({ file: paths[0], digest });
  });
});
