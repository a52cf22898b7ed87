// Prune is opt-in, and a revision that places nothing on a cluster removes nothing unless allowed.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, revisions, tempCacheDir, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const west = clusters[1] ?? clusters[0]!;

const app = (entries: string[]) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: pr }
spec:
  namespace: rt-prune
  prune: true
  components:
${entries.map((e) => `    - { name: ${e}, component: pr-${e}, version: "^1.0.0" }`).join("\n")}
`;

let repo: GitFixture;
let cache: string;
const once = () => berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "30"]);

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([west]),
    "components/a.yaml": workerComponent("pr-a", "1.0.0"),
    "components/b.yaml": workerComponent("pr-b", "1.0.0"),
    "apps/pr.yaml": app(["a", "b"]),
  });
});
afterAll(async () => removeRepo(repo));

describe("prune", () => {
  it("uninstalls a component removed from an application that prunes", async () => {
    expect((await once()).code).toBe(0);
    await commitFiles(repo, { "apps/pr.yaml": app(["a"]) });
    const r = await once();
    expect(r.code).toBe(0);
    expect(await revisions(west, "rt-prune", "pr-b")).toEqual([]);
    expect((await revisions(west, "rt-prune", "pr-a")).length).toBe(1);
  });

  it("removes nothing when a revision places no release at all, unless the Cluster allows an empty target", async () => {
    await commitFiles(repo, { "apps/pr.yaml": null, "components/a.yaml": null, "components/b.yaml": null });
    const r = await once();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/places no release at all on cluster/);
    expect((await revisions(west, "rt-prune", "pr-a")).length).toBe(1);
    await commitFiles(repo, {
      [`clusters/${west.name}.yaml`]: clusterFiles([west])[`clusters/${west.name}.yaml`]!.replace("spec:\n", "spec:\n  allowEmpty: true\n"),
    });
    expect((await once()).code).toBe(0);
    expect(await revisions(west, "rt-prune", "pr-a")).toEqual([]);
  });
});
