// The chart store on a real temporary directory: each kind of chart is
// written once, under its content, into a root that may not exist yet.
import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createChartStore } from "./chart-store.ts";

const freshRoot = async () => join(await mkdtemp(join(tmpdir(), "berth-chart-store-")), "charts");

describe("createChartStore", () => {
  it("a .tgz from git as the first chart of a fresh root: written, once", async () => {
    const store = createChartStore(await freshRoot());
    const bytes = Buffer.from("not really gzip");
    const path = await store.archiveFor("sha256:abc", bytes);
    expect(path).toMatch(/git-sha256-abc\.tgz$/);
    expect(await readFile(path)).toEqual(bytes);
    expect(await store.archiveFor("sha256:abc", bytes)).toBe(path);
  });

  it("a chart directory from git and an archive at once, into a root that does not exist yet", async () => {
    const root = await freshRoot();
    const store = createChartStore(root);
    const [dir, tgz] = await Promise.all([
      store.dirForFiles("sha256:d1", new Map([["Chart.yaml", Buffer.from("name: x\n")], ["templates/cm.yaml", Buffer.from("kind: ConfigMap\n")]])),
      store.archiveFor("sha256:t1", Buffer.from("t")),
    ]);
    expect(await readFile(join(dir, "templates", "cm.yaml"), "utf8")).toBe("kind: ConfigMap\n");
    expect(await readFile(tgz, "utf8")).toBe("t");
    expect((await readdir(root)).sort()).toEqual(["git-sha256-d1", "git-sha256-t1.tgz"]);
  });
});
