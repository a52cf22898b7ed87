// Release names are unique per namespace only: a release of another repository
// with the same name in another namespace is a different release.
import { afterAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, tempCacheDir, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const repos: GitFixture[] = [];

async function repoWith(namespace: string): Promise<GitFixture> {
  const repo = await createBareRepo();
  repos.push(repo);
  await commitFiles(repo, {
    ...clusterFiles([east]),
    "components/w.yaml": workerComponent("same-worker", "1.0.0"),
    "apps/same.yaml": `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: same }\nspec:\n  namespace: ${namespace}\n  components:\n    - { name: worker, component: same-worker, version: "^1.0.0" }\n`,
  });
  return repo;
}

afterAll(async () => {
  for (const r of repos) await removeRepo(r);
});

describe("two releases of one name in two namespaces", () => {
  it("reports both, and history finds the one git places", async () => {
    const a = await repoWith("rt-same-a");
    const b = await repoWith("rt-same-b");
    const run = async (repo: GitFixture) =>
      berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", await tempCacheDir(), "--output", "json"]);
    expect((await run(a)).code).toBe(0);
    const r = await run(b);
    expect(r.code).toBe(0);
    const releases = JSON.parse(r.out.trim()).clusters[0].releases as Array<{ name: string; namespace: string; outcome: string; records: Array<{ action: string }> }>;
    const same = releases.filter((x) => x.name === "same-worker").map((x) => [x.namespace, x.outcome, x.records.map((y) => y.action)]);
    expect(same).toEqual(
      expect.arrayContaining([
        ["rt-same-a", "unchanged", []],
        ["rt-same-b", "applied", ["install"]],
      ]),
    );
    const hist = await berth(["history", "same-worker", "--cluster", east.name, "--source", b.url, "--helm", binaries.helm, "--cache-dir", await tempCacheDir(), "--output", "json"]);
    expect(hist.err).toBe("");
    expect(JSON.parse(hist.out)).toHaveLength(1);
  });
});
