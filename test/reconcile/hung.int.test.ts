// An API server that hangs (SIGSTOP, not killed) and berth told to stop while
// it waits on health: each command ends within a bound, as its own process.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { execa } from "execa";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureBinaries, startCluster, type LocalCluster } from "../cluster/harness.ts";
import { freePorts } from "../cluster/ports.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, revisions, tempCacheDir, webComponent, singleApiApp } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const BIN = join(process.cwd(), "bin", "berth.js");

/** berth as a child process, so the test sees when (and whether) it exits. */
const spawnBerth = (args: string[]) => execa(process.execPath, [BIN, ...args], { reject: false, timeout: 300_000 });

describe("an API server stopped with SIGSTOP", () => {
  let solo: LocalCluster;
  let apiPid: number;
  let repo: GitFixture;
  beforeAll(async () => {
    solo = await startCluster({ name: "stopped", binaries: await ensureBinaries() });
    apiPid = (JSON.parse(await readFile(join(solo.dataDir, "state.json"), "utf8")) as { pids: Record<string, number> }).pids["kube-apiserver"]!;
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([{ name: "stopped", kubeconfig: solo.kubeconfigPath, server: solo.server }]),
      "components/hung-1.0.0.yaml": webComponent("hung-api", "1.0.0"),
      "apps/app.yaml": singleApiApp("hung", "rt-hung"),
    });
    process.kill(apiPid, "SIGSTOP");
  });
  afterAll(async () => {
    process.kill(apiPid, "SIGCONT");
    await solo.stop();
    await removeRepo(repo);
  });

  it.each([
    ["reconcile --once", ["reconcile", "--once"], 1],
    ["status", ["status"], 0],
  ])("berth %s reports the cluster unreachable and exits within 30 s", async (_, cmd, code) => {
    const started = Date.now();
    const r = await spawnBerth([...cmd, "--source", repo.url, "--helm", binaries.helm, "--cache-dir", await tempCacheDir()]);
    const took = Date.now() - started;
    expect(r.timedOut, "still running after 300 s").toBe(false);
    expect(r.exitCode, r.stdout + r.stderr).toBe(code);
    expect(r.stdout).toMatch(/cluster stopped: UNREACHABLE: cluster stopped: reach the API server: no answer within 5000 ms/);
    expect(took).toBeLessThan(30_000);
  });
});

describe("SIGTERM while berth waits on a release that never becomes ready", () => {
  let repo: GitFixture;
  beforeAll(async () => {
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "components/term-1.0.0.yaml": webComponent("term-api", "1.0.0"),
      "apps/app.yaml": singleApiApp("term", "rt-term"),
    });
  });
  afterAll(async () => removeRepo(repo));

  it("stops the running helm, leaves no pending revision, records the pass and exits within --shutdown-grace", async () => {
    const cache = await tempCacheDir();
    const flags = ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache];
    const first = await berth(["reconcile", "--once", ...flags, "--helm-timeout", "30"]);
    expect(first.code, first.out + first.err).toBe(0);
    await commitFiles(repo, { "components/term-1.1.0.yaml": webComponent("term-api", "1.1.0", { image: "registry.example.com/test/term-never-ready" }) });

    const child = spawnBerth(["reconcile", "--once", ...flags, "--helm-timeout", "240", "--shutdown-grace", "20", "--output", "json"]);
    for (const end = Date.now() + 60_000; ; ) {
      if ((await revisions(east, "rt-term", "term-api")).at(-1)?.status === "pending-upgrade") break;
      if (Date.now() > end) throw new Error("no pending upgrade within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    const signalled = Date.now();
    child.kill("SIGTERM"); // berth only, not its process group: berth itself tells helm to stop
    const r = await child;
    expect(Date.now() - signalled).toBeLessThan(20_000 + 3_000);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    const revs = await revisions(east, "rt-term", "term-api");
    expect(revs.some((x) => x.status.startsWith("pending")), JSON.stringify(revs)).toBe(false);
    // the pass was recorded: the next start finds the failed upgrade in berth's records, not a locked release
    const report = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { clusters: { releases: { name: string; records: { action: string; result: string }[] }[] }[] };
    const rec = report.clusters[0]!.releases.find((x) => x.name === "term-api")!.records;
    expect(rec.some((x) => x.action === "upgrade" && x.result === "failed")).toBe(true);
  });
});

describe("SIGTERM to berth serve during a pass that waits on health", () => {
  let repo: GitFixture;
  beforeAll(async () => {
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "components/sterm-1.0.0.yaml": webComponent("sterm-api", "1.0.0"),
      "apps/app.yaml": singleApiApp("sterm", "rt-sterm"),
    });
  });
  afterAll(async () => removeRepo(repo));

  it("tells the running helm to stop and exits within --shutdown-grace, leaving no pending revision", async () => {
    const cache = await tempCacheDir();
    const flags = ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache];
    expect((await berth(["reconcile", "--once", ...flags, "--helm-timeout", "30"])).code).toBe(0);
    await commitFiles(repo, { "components/sterm-1.1.0.yaml": webComponent("sterm-api", "1.1.0", { image: "registry.example.com/test/sterm-never-ready" }) });

    const [port] = await freePorts(1);
    const child = spawnBerth(["serve", ...flags, "--port", String(port), "--interval", "3600", "--drift-interval", "0", "--helm-timeout", "240", "--shutdown-grace", "15"]);
    for (const end = Date.now() + 60_000; ; ) {
      if ((await revisions(east, "rt-sterm", "sterm-api")).at(-1)?.status === "pending-upgrade") break;
      if (Date.now() > end) throw new Error("no pending upgrade within 60 s");
      await new Promise((r) => setTimeout(r, 200));
    }
    const signalled = Date.now();
    child.kill("SIGTERM");
    await child;
    expect(Date.now() - signalled).toBeLessThan(15_000 + 3_000);
    const revs = await revisions(east, "rt-sterm", "sterm-api");
    expect(revs.some((x) => x.status.startsWith("pending")), JSON.stringify(revs)).toBe(false);
  });
});
