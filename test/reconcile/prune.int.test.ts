// Prune is opt-in, and a revision that places nothing on a cluster removes nothing unless allowed.
// Whether an orphan is pruned follows the revision being applied (or, for an
// application gone from git, the last revision that declared it), not the label
// its release got when it was last applied.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type FileTree, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, kubeFor, revisions, tempCacheDir, workerComponent } from "./fixture.ts";

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

/** An Application `name` in namespace `rt-<name>` whose entries use Components `<name>-<entry>`. */
const appOf = (name: string, prune: boolean, entries: string[]) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  namespace: rt-${name}
  prune: ${prune}
  components:
${entries.map((e) => `    - { name: ${e}, component: ${name}-${e}, version: "^1.0.0" }`).join("\n")}
`;

/** A repository of its own, on the west cluster, with the Components `<app>-<entry>` of every entry given. */
async function ownRepo(apps: Record<string, string[]>) {
  const r = await createBareRepo();
  const c = await tempCacheDir();
  const files: FileTree = { ...clusterFiles([west]) };
  for (const [app, entries] of Object.entries(apps)) for (const e of entries) files[`components/${app}-${e}.yaml`] = workerComponent(`${app}-${e}`, "1.0.0");
  await commitFiles(r, files);
  const run = async () => {
    const res = await berth(["reconcile", "--once", "--source", r.url, "--helm", binaries.helm, "--cache-dir", c, "--helm-timeout", "30"]);
    expect(res.code, res.out + res.err).toBe(0);
    return res;
  };
  return { repo: r, run };
}

const own: GitFixture[] = [];
const namespaces = ["rt-pra", "rt-prb", "rt-prc", "rt-prk"];
afterAll(async () => {
  for (const r of own) await removeRepo(r);
  const { core } = kubeFor(west);
  for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe("prune follows the revision, not the release's label", () => {
  it("(a) an application switched to prune: false keeps the component it removes in the same commit", async () => {
    const { repo: r, run } = await ownRepo({ pra: ["a", "b"] });
    own.push(r);
    await commitFiles(r, { "apps/pra.yaml": appOf("pra", true, ["a", "b"]) });
    await run();
    expect(await revisions(west, "rt-pra", "pra-b")).toEqual([{ revision: 1, status: "deployed" }]);
    await commitFiles(r, { "apps/pra.yaml": appOf("pra", false, ["a"]) });
    const res = await run();
    expect(res.out).toMatch(/pra-b\s+unchanged\s+no longer declared in git; kept \(prune is off\)/);
    expect(await revisions(west, "rt-pra", "pra-b")).toEqual([{ revision: 1, status: "deployed" }]);
  });

  it("(b) an application switched to prune: true (nothing else changed) prunes the component removed next", async () => {
    const { repo: r, run } = await ownRepo({ prb: ["a", "b"] });
    own.push(r);
    await commitFiles(r, { "apps/prb.yaml": appOf("prb", false, ["a", "b"]) });
    await run();
    await commitFiles(r, { "apps/prb.yaml": appOf("prb", true, ["a", "b"]) });
    expect((await run()).out).toMatch(/helm calls: 0;/);
    await commitFiles(r, { "apps/prb.yaml": appOf("prb", true, ["a"]) });
    await run();
    expect(await revisions(west, "rt-prb", "prb-b")).toEqual([]);
    expect((await revisions(west, "rt-prb", "prb-a")).length).toBe(1);
  });

  it("(c) an application removed from git follows the last revision that declared it, even one that changed only prune", async () => {
    const { repo: r, run } = await ownRepo({ prc: ["a"], prk: ["k"] });
    own.push(r);
    // prk stays in git throughout, so the revision that removes prc still places releases on the cluster
    await commitFiles(r, { "apps/prc.yaml": appOf("prc", false, ["a"]), "apps/prk.yaml": appOf("prk", false, ["k"]) });
    await run();
    await commitFiles(r, { "apps/prc.yaml": appOf("prc", true, ["a"]) });
    // no release changes, so no helm call and no release label moves: the cluster records the setting instead
    expect((await run()).out).toMatch(/helm calls: 0;/);
    const records = () => kubeFor(west).core.listNamespacedConfigMap({ namespace: "rt-prc", labelSelector: "berth.dev/app-record=true" });
    const recs = await records();
    expect(recs.items.map((c) => [c.metadata?.name, c.data?.prune])).toEqual([["berth-app-prc", "true"]]);
    // a pass that changes nothing writes nothing more
    expect((await run()).out).toMatch(/helm calls: 0;/);
    expect((await records()).items.map((c) => c.metadata?.resourceVersion)).toEqual(recs.items.map((c) => c.metadata?.resourceVersion));
    await commitFiles(r, { "apps/prc.yaml": null });
    const res = await run();
    expect(res.out).toMatch(/prc-a\s+applied\s+uninstall/);
    expect(await revisions(west, "rt-prc", "prc-a")).toEqual([]);
    expect((await revisions(west, "rt-prk", "prk-k")).length).toBe(1);
  });
});
