// One cluster down, the git remote gone: the rest goes on, status says so.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { rename } from "node:fs/promises";
import { ensureBinaries, startCluster, type LocalCluster } from "../cluster/harness.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, revisions, tempCacheDir, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;

const app = (replicas: number) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: reach }
spec:
  namespace: rt-reach
  components:
    - { name: worker, component: reach-worker, version: "^1.0.0", replicas: ${replicas} }
`;

let solo: LocalCluster;
let repo: GitFixture;
let cache: string;

const args = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "30"];

beforeAll(async () => {
  solo = await startCluster({ name: "solo", binaries: await ensureBinaries() });
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([east, { name: "solo", kubeconfig: solo.kubeconfigPath, server: solo.server }]),
    "components/worker.yaml": workerComponent("reach-worker", "1.0.0"),
    "apps/reach.yaml": app(1),
  });
});

afterAll(async () => {
  await solo?.stop();
  await removeRepo(repo);
});

describe("reachability", () => {
  it("reconciles every reachable cluster while one API server is down, and status says which and since when", async () => {
    expect((await berth(["reconcile", "--once", ...args()])).code).toBe(0);
    await solo.stopApiServer();
    try {
      await commitFiles(repo, { "apps/reach.yaml": app(2) });
      const r = await berth(["reconcile", "--once", ...args()]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/cluster solo: UNREACHABLE/);
      expect((await revisions(east, "rt-reach", "reach-worker")).at(-1)).toEqual({ revision: 2, status: "deployed" });
      const status = await berth(["status", ...args()]);
      expect(status.out).toMatch(/cluster solo: UNREACHABLE since \d{4}-\d\d-\d\dT[\d:.]+Z/);
      expect(status.out).toMatch(/cluster east: reachable/);
    } finally {
      await solo.startApiServer();
    }
    const back = await berth(["reconcile", "--once", ...args()]);
    expect(back.code).toBe(0);
  });

  it("keeps the last good revision applied when the remote is unreachable, and status says the source is stale", async () => {
    const moved = `${repo.bareDir}.away`;
    await rename(repo.bareDir, moved);
    try {
      const before = await revisions(east, "rt-reach", "reach-worker");
      const r = await berth(["reconcile", "--once", ...args()]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/nothing was applied/);
      expect(await revisions(east, "rt-reach", "reach-worker")).toEqual(before);
      const status = await berth(["status", ...args()]);
      expect(status.out).toMatch(/source is stale since \d{4}-/);
      expect(status.out).toMatch(/reach-worker\s+rt-reach\s+succeeded\s+1\.0\.0\s+1\.0\.0/);
    } finally {
      await rename(moved, repo.bareDir);
    }
  });
});
