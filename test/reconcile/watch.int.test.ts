// `berth reconcile --watch`: a pushed commit is picked up by polling, and an
// edit in a deployer's local directory by the file watcher.
import { afterAll, describe, expect, inject, it } from "vitest";
import { execa, type ResultPromise } from "execa";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { commitFiles, createBareRepo, removeRepo, type FileTree, type GitFixture } from "../support/git.ts";
import { clusterFiles, revisions, tempCacheDir, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;

const app = (name: string, replicas: number) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  namespace: rt-${name}
  components:
    - { name: worker, component: ${name}-worker, version: "^1.0.0", replicas: ${replicas} }
`;

const children: ResultPromise[] = [];
function watch(source: string, interval: string): ResultPromise {
  const bin = join(process.cwd(), "bin", "berth.js");
  const child = execa(process.execPath, [bin, "reconcile", "--watch", "--interval", interval, "--source", source, "--helm", binaries.helm, "--cache-dir", join(tmpdir(), `berth-watch-${process.pid}-${children.length}`), "--helm-timeout", "30"], { reject: false });
  children.push(child);
  return child;
}

async function until(what: string, f: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const revisionCount = async (ns: string, release: string) => (await revisions(east, ns, release)).filter((r) => r.status === "deployed" || r.status === "superseded").length;

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
});

describe("reconcile --watch", () => {
  let repo: GitFixture;
  afterAll(async () => repo && removeRepo(repo));

  it("applies a pushed commit at the next poll and stops cleanly on SIGTERM", async () => {
    repo = await createBareRepo();
    await commitFiles(repo, { ...clusterFiles([east]), "components/w.yaml": workerComponent("wpoll-worker", "1.0.0"), "apps/a.yaml": app("wpoll", 1) });
    const child = watch(repo.url, "1");
    await until("the first install", async () => (await revisionCount("rt-wpoll", "wpoll-worker")) === 1);
    await commitFiles(repo, { "apps/a.yaml": app("wpoll", 2) });
    await until("the pushed commit", async () => (await revisionCount("rt-wpoll", "wpoll-worker")) === 2, 30_000);
    child.kill("SIGTERM");
    const r = await child;
    expect(r.exitCode).toBe(0);
  });

  it("applies an edit in a local directory through the file watcher", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-local-"));
    const files: FileTree = { ...clusterFiles([east]), "components/w.yaml": workerComponent("wlocal-worker", "1.0.0"), "apps/a.yaml": app("wlocal", 1) };
    for (const [p, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), text!);
    }
    // a long poll interval: only the file watcher can explain a quick second revision
    watch(dir, "3600");
    await until("the first install", async () => (await revisionCount("rt-wlocal", "wlocal-worker")) === 1);
    const edited = Date.now();
    await writeFile(join(dir, "apps/a.yaml"), app("wlocal", 3));
    await until("the edit", async () => (await revisionCount("rt-wlocal", "wlocal-worker")) === 2, 30_000);
    expect(Date.now() - edited).toBeLessThan(30_000);
  });
});
void tempCacheDir;
