// Someone edits a managed Deployment by hand; the next version from git still lands (Helm 4's server-side apply would otherwise refuse).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-edit";

let repo: GitFixture;
beforeAll(async () => {
  repo = await createBareRepo();
  await commitFiles(repo, {
    ...clusterFiles([east]),
    "components/e-1.0.0.yaml": webComponent("edit-api", "1.0.0"),
    "apps/e.yaml": `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: edit }\nspec:\n  namespace: ${NS}\n  components:\n    - { name: api, component: edit-api, version: "^1.0.0" }\n`,
  });
});
afterAll(async () => removeRepo(repo));

describe.each([
  ["helm 4", () => binaries.helm],
  ["helm 3", () => binaries.helm3],
])("a hand-edited field with %s", (label, helm) => {
  it("is overwritten by the next version from git", async () => {
    const cache = await tempCacheDir();
    const flags = ["--source", repo.url, "--helm", helm(), "--cache-dir", cache, "--helm-timeout", "30"];
    expect((await berth(["reconcile", "--once", ...flags])).code).toBe(0);
    const image = "registry.example.com/test/edit-api:hotfix";
    await kubeFor(east).apps.patchNamespacedDeployment(
      { name: "edit-api", namespace: NS, fieldManager: "kubectl-edit", body: { spec: { template: { spec: { containers: [{ name: "edit-api", image }] } } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(await deploymentImage(east, NS, "edit-api")).toBe(image);
    const version = label === "helm 4" ? "1.1.0" : "1.2.0";
    await commitFiles(repo, { [`components/e-${version}.yaml`]: webComponent("edit-api", version) });
    const r = await berth(["reconcile", "--once", ...flags]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(await deploymentImage(east, NS, "edit-api")).toBe(`registry.example.com/test/edit-api:${version}`);
  });
});
