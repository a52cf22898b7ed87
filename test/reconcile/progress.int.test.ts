// Progress on stderr, from real runs on a local cluster: `berth reconcile --once`
// in a pseudo-terminal (util-linux `script`) draws the live block, in a pipe
// writes one line per release it acted on; stdout keeps the report as before.
// plan, status and drift say what they read and checked.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, tempCacheDir, webComponent, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-progress";
const root = fileURLToPath(new URL("../../", import.meta.url));
const main = join(root, "src", "main.ts");
const hasScript = spawnSync("script", ["--version"]).status === 0;

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: prg }
spec:
  namespace: ${NS}
  components:
    - { name: cache, component: prg-cache, version: "^1.0.0" }
    - { name: api, component: prg-api, version: "^1.0.0", dependsOn: [cache] }
    - { name: jobs, component: prg-jobs, version: "^1.0.0" }
`;

const versionFiles = (v: string) => ({
  [`components/prg-cache-${v}.yaml`]: workerComponent("prg-cache", v),
  [`components/prg-api-${v}.yaml`]: webComponent("prg-api", v),
  [`components/prg-jobs-${v}.yaml`]: workerComponent("prg-jobs", v),
});

// a redraw of the live block: up over the block, back to its first column, clear to the end of the screen
const REDRAW = new RegExp(String.raw`\x1b\[\d+A\r\x1b\[J`);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

let repo: GitFixture;
let cache: string;
const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "60"];

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, { ...clusterFiles([east]), "apps/prg.yaml": app, ...versionFiles("1.0.0") }, { message: "prg 1.0.0" });
});
afterAll(async () => removeRepo(repo));

describe("progress of berth reconcile --once, run for real", () => {
  it("in a terminal: a live block redrawn in place — releases done of total, what waits on what — and the report on stdout as before", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-progress-"));
    const stdoutFile = join(dir, "stdout.txt");
    const cmd = ["node", "--import", "tsx", main, "reconcile", "--once", ...flags()].map(q).join(" ");
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm" };
    delete env.BERTH_PROGRESS;
    // stdout to a file, so that the terminal holds only stderr; without `script`, the terminal mode is forced
    const r = hasScript
      ? await execa("script", ["-qefc", `${cmd} > ${q(stdoutFile)}`, "/dev/null"], { env, cwd: root, reject: false, stdin: "ignore" })
      : await execa("sh", ["-c", `${cmd} --progress tty > ${q(stdoutFile)}`], { env, cwd: root, reject: false, stdin: "ignore" });
    const terminal = (hasScript ? r.stdout : r.stderr).replace(/\r\n/g, "\n");
    const stdout = await readFile(stdoutFile, "utf8");
    expect(r.exitCode, terminal + stdout).toBe(0);

    const frames = terminal.split(REDRAW);
    expect(frames.length).toBeGreaterThan(2); // drawn, then redrawn in place
    expect(frames[0]).toMatch(/^berth reconcile {2}\d+\.\d s\n/);
    // while prg-cache is installed, prg-api waits on it
    expect(frames.some((f) => /\n {4}prg-api waits on prg-cache \(dependsOn\)\n/.test(f))).toBe(true);
    expect(frames.some((f) => /\n {2}east {2}\d+\/\d+ done: .*\d running/.test(f))).toBe(true);
    // the last frame stays: the cluster's totals and its time (other test files' releases on the shared cluster count as unchanged)
    expect(frames.at(-1)).toMatch(/^berth reconcile {2}\d+\.\d s\n {2}east {2}(\d+)\/\1 done: 3 applied, \d+ unchanged \(\d+\.\d s\)\n?$/); // execa drops the last newline

    // stdout: the text report, as without progress
    expect(stdout).not.toContain("\x1b");
    expect(stdout).toMatch(/^revision [0-9a-f]{40}\ncluster east: reachable\n/);
    for (const rel of ["prg-cache", "prg-api", "prg-jobs"]) expect(stdout).toMatch(new RegExp(`\\n {2}${rel} +applied +install\\n`));
    expect(stdout).toMatch(/\nhelm calls: \d+; \d+ ms\n$/);
  });

  it("in a pipe: one line per release it upgraded and the cluster's totals on stderr; --output json on stdout unchanged", async () => {
    await commitFiles(repo, versionFiles("1.1.0"), { message: "prg 1.1.0" });
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.BERTH_PROGRESS;
    const r = await execa("node", ["--import", "tsx", main, "reconcile", "--once", ...flags(), "--output", "json"], { env, cwd: root, reject: false, stdin: "ignore" });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split("\n");
    expect(lines[0]).toMatch(/^east: \d+ releases, 3 to change$/);
    expect(lines.slice(1, 4).map((l) => l.replace(/\(\d+\.\d s\)/, "(T)")).sort()).toEqual([
      "east prg-api upgraded 1.0.0 -> 1.1.0 (T)",
      "east prg-cache upgraded 1.0.0 -> 1.1.0 (T)",
      "east prg-jobs upgraded 1.0.0 -> 1.1.0 (T)",
    ]);
    // prg-api waits on prg-cache: it ends after it
    expect(lines.findIndex((l) => l.startsWith("east prg-api "))).toBeGreaterThan(lines.findIndex((l) => l.startsWith("east prg-cache ")));
    expect(lines.slice(4)).toEqual([expect.stringMatching(/^east: (\d+)\/\1 done: 3 applied, \d+ unchanged \(\d+\.\d s\)$/)]);
    expect(r.stdout).not.toContain("\n"); // one JSON line, as before
    const report = JSON.parse(r.stdout) as { clusters: Array<{ cluster: string; releases: Array<{ name: string; outcome: string }> }> };
    expect(report.clusters[0]!.releases.filter((x) => x.name.startsWith("prg-")).map((x) => [x.name, x.outcome]).sort()).toEqual([
      ["prg-api", "applied"],
      ["prg-cache", "applied"],
      ["prg-jobs", "applied"],
    ]);
  });
});

describe("progress of plan, status and drift (lines)", () => {
  it("plan and status say what they read of each cluster; their stdout is unchanged", async () => {
    const plan = await berth(["plan", ...flags(), "--progress", "lines"]);
    expect(plan.code, plan.err).toBe(0);
    expect(plan.err).toMatch(/^east: \d+ releases read, nothing to change \(\d+\.\d s\)\n$/);
    expect(plan.out).toMatch(/\ncluster east\n/);

    const status = await berth(["status", ...flags(), "--progress", "lines", "--output", "json"]);
    expect(status.code, status.err).toBe(0);
    expect(status.err).toMatch(/^east: \d+ releases read, nothing to change \(\d+\.\d s\)\n$/);
    expect((JSON.parse(status.out) as { clusters: Array<{ name: string }> }).clusters.map((c) => c.name)).toEqual(["east"]);
  });

  it("drift reads the cluster, then counts the releases it checked", async () => {
    const r = await berth(["drift", ...flags(), "--progress", "lines"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err.split("\n")).toEqual([
      expect.stringMatching(/^east: \d+ releases read, nothing to change \(\d+\.\d s\)$/),
      "east: checking 3 releases",
      expect.stringMatching(/^east: 3\/3 checked, 0 drifted \(\d+\.\d s\)$/),
      "",
    ]);
    expect(r.out).toMatch(/east\/prg-api \(revision 2\): no drift/);
  });

  it("--quiet silences progress whatever --progress says", async () => {
    const r = await berth(["reconcile", "--once", ...flags(), "--progress", "tty", "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/^revision [0-9a-f]{40}\n/);
  });
});
