// `berth rollback` runs the rollback steps of the versions it crosses, and
// refuses when a crossed step has none.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, revisions, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-manual-steps";
const REL = "ms-api";

const to110 = `  upgrades:
    - from: "~1.0.0"
      to: 1.1.0
      run: { image: registry.example.com/test/migrate, args: ["up", "1.1.0"] }
      rollback: { image: registry.example.com/test/migrate, args: ["down", "1.0.0"] }
`;
const to120 = `  upgrades:
    - from: "~1.1.0"
      to: 1.2.0
      run: { image: registry.example.com/test/migrate, args: ["up", "1.2.0"] }
`;
const app = (range: string) =>
  `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: ms }\nspec:\n  namespace: ${NS}\n  components:\n    - { name: api, component: ms-api, version: "${range}" }\n`;

let repo: GitFixture;
let cache: string;
const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "30"];
async function reconcileAt(range: string) {
  await commitFiles(repo, { "apps/ms.yaml": app(range) });
  const r = await berth(["reconcile", "--once", ...flags(), "--output", "json"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
}
const downJobs = async () =>
  (await kubeFor(east).batch.listNamespacedJob({ namespace: NS, labelSelector: `berth.dev/release=${REL},berth.dev/step=rollback` })).items.map((j) => j.metadata!.name!);

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([east]),
    "components/ms-1.0.0.yaml": webComponent(REL, "1.0.0"),
    "components/ms-1.1.0.yaml": webComponent(REL, "1.1.0", { upgrades: to110 }),
    "components/ms-1.2.0.yaml": webComponent(REL, "1.2.0", { upgrades: to120 }),
    "apps/ms.yaml": app("~1.0.0"),
  });
  expect((await berth(["reconcile", "--once", ...flags()])).code).toBe(0);
});
afterAll(async () => removeRepo(repo));

describe("berth rollback across upgrade steps", () => {
  it("runs the rollback step of the version it leaves, recorded in history", async () => {
    await reconcileAt("~1.1.0");
    expect(await downJobs()).toEqual([]);

    const rb = await berth(["rollback", REL, "--cluster", east.name, "--to", "1", ...flags()]);
    expect(rb.err).toBe("");
    expect(rb.code).toBe(0);
    expect(await deploymentImage(east, NS, REL)).toBe(`registry.example.com/test/${REL}:1.0.0`);
    const jobs = await downJobs();
    expect(jobs).toHaveLength(1);

    const hist = JSON.parse((await berth(["history", REL, "--cluster", east.name, ...flags(), "--output", "json"])).out) as Array<{ action: string; steps: Array<{ kind: string; to: string; job: string; succeeded: boolean }> }>;
    const last = hist.at(-1)!;
    expect(last.action).toBe("rollback");
    expect(last.steps.map((s) => [s.kind, s.to, s.job, s.succeeded])).toEqual([["rollback", "1.1.0", jobs[0], true]]);
  });

  it("refuses, changing nothing, when a crossed upgrade step has no rollback", async () => {
    expect((await berth(["resume", REL, "--cluster", east.name, ...flags()])).code).toBe(0);
    await reconcileAt("^1.0.0");
    expect(await deploymentImage(east, NS, REL)).toBe(`registry.example.com/test/${REL}:1.2.0`);
    const before = await revisions(east, NS, REL);
    // the revision before (the manual rollback's, at 1.0.0): going back crosses 1.2.0, whose step has no rollback
    const at100 = before.at(-2)!.revision;

    const rb = await berth(["rollback", REL, "--cluster", east.name, "--to", String(at100), ...flags()]);
    expect(rb.code).toBe(1);
    expect(rb.err).toMatch(/cannot roll ms-api back from 1\.2\.0 to 1\.0\.0: the upgrade step to 1\.2\.0 has no rollback step in git or in berth's memory of the release; declare `rollback:`/);
    expect(await revisions(east, NS, REL)).toEqual(before);
    expect(await deploymentImage(east, NS, REL)).toBe(`registry.example.com/test/${REL}:1.2.0`);
  });
});
