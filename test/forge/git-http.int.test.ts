// berth fetching its definitions from a private repository on a real Gitea
// over HTTP, with the token the operator hands it (--git-token-file or
// BERTH_GIT_TOKEN_FILE). Without it, or with a token Gitea refuses, berth
// fails at once with an error naming the flag; with it, plan and
// reconcile --once work. The token shows up nowhere: not in git's arguments
// (a git wrapper records them), not in any output or log line (debug level),
// not in berth's cache or the state it keeps on the cluster.
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startGitea, type Gitea } from "../support/gitea.ts";
import { clusterFiles, deploymentImage, singleApiApp, webComponent } from "../reconcile/fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "fg-http";
const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

let gitea: Gitea;
let work: string;
let sha: string;
let tokenFile: string;
const outputs: string[] = [];

/** Runs the berth CLI as its own process, logging at debug level, and keeps everything it printed. */
async function berth(args: string[], env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const r = await execa("node", ["--import", "tsx", main, ...args], {
    env: { ...process.env, BERTH_LOG_LEVEL: "debug", BERTH_PROGRESS: "none", PATH: `${join(work, "bin")}:${process.env.PATH}`, ...env },
    reject: false,
    timeout: 180_000,
  });
  outputs.push(r.stdout, r.stderr);
  return { code: r.exitCode, out: r.stdout, err: r.stderr, ms: Date.now() - started };
}

const flags = (cache: string) => ["--source", gitea.cloneUrl("defs"), "--cache-dir", join(work, cache), "--helm", binaries.helm, "--helm-timeout", "60"];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "berth-git-http-"));
  gitea = await startGitea();
  await gitea.createRepo("defs", { private: true });
  sha = await gitea.pushFiles("defs", {
    ...clusterFiles([east]),
    "components/fgh-api-1.0.0.yaml": webComponent("fgh-api", "1.0.0"),
    "apps/fgh.yaml": singleApiApp("fgh", NS),
  });
  tokenFile = join(work, "token");
  await writeFile(tokenFile, `${gitea.token}\n`, { mode: 0o600 });
  // git as berth runs it, with its arguments recorded: the token must never be among them
  const real = (await execa("sh", ["-c", "command -v git"])).stdout.trim();
  await execa("mkdir", ["-p", join(work, "bin")]);
  await writeFile(join(work, "bin", "git"), `#!/bin/sh\nprintf '%s\\n' "$*" >> ${join(work, "git-args.log")}\nexec ${real} "$@"\n`);
  await chmod(join(work, "bin", "git"), 0o755);
});

afterAll(async () => {
  await gitea?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("berth and a private repository on Gitea over HTTP", () => {
  it("without a token: fails at once, saying which flag hands one over", async () => {
    const r = await berth(["reconcile", "--once", ...flags("cache-none")]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/could not read Username .*the remote wants credentials; give berth a token that may read it with --git-token-file FILE \(or BERTH_GIT_TOKEN_FILE=FILE\)/);
    expect(r.err).toContain("nothing was applied");
    expect(r.ms).toBeLessThan(30_000); // never waits on a prompt
  });

  it("with a token Gitea refuses: says the token was refused", async () => {
    const wrong = join(work, "wrong-token");
    await writeFile(wrong, "0123456789abcdef0123456789abcdef01234567\n");
    const r = await berth(["plan", ...flags("cache-wrong"), "--git-token-file", wrong]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/the remote refused the token berth was given with --git-token-file FILE .*; check that it is current and may read this repository/);
  });

  it("refuses a token file that is not there before fetching anything", async () => {
    const r = await berth(["plan", ...flags("cache-missing"), "--git-token-file", join(work, "absent")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--git-token-file FILE \(or BERTH_GIT_TOKEN_FILE=FILE\): cannot read .*absent \(ENOENT\); give a file that holds the token/);
  });

  it("with the token from BERTH_GIT_TOKEN_FILE: plan reads the pushed commit", async () => {
    const r = await berth(["plan", ...flags("cache-ok")], { BERTH_GIT_TOKEN_FILE: tokenFile });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`revision ${sha}`);
    expect(r.out).toMatch(/fgh-api .*install/);
  });

  it("with --git-token-file: reconcile --once applies it", async () => {
    const r = await berth(["reconcile", "--once", ...flags("cache-ok"), "--git-token-file", tokenFile, "--output", "json"]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out.trim().split("\n").at(-1)!) as { revision: string };
    expect(report.revision).toBe(sha);
    expect(await deploymentImage(east, NS, "fgh-api")).toBe("registry.example.com/test/fgh-api:1.0.0");
  });

  it("leaves the token nowhere: git's arguments, output and logs, the cache, the cluster's state", async () => {
    const basic = Buffer.from(`x-access-token:${gitea.token}`).toString("base64");
    const gitArgs = await readFile(join(work, "git-args.log"), "utf8");
    expect(gitArgs).toContain(gitea.cloneUrl("defs")); // the wrapper did see berth's fetches
    const logged = outputs.join("\n");
    expect(logged).toContain('"level":'); // debug logs were on
    const cacheFiles = await filesUnder(work);
    expect(cacheFiles.some((f) => f.includes("cache-ok"))).toBe(true);
    const cached = await Promise.all(cacheFiles.filter((f) => f !== tokenFile).map((f) => readFile(f, "latin1")));
    const { stdout: state } = await execa(binaries.kubectl, ["--kubeconfig", east.kubeconfig, "get", "configmaps", "-A", "-o", "json"]);
    for (const [where, text] of [["git arguments", gitArgs], ["output and logs", logged], ["cache files", cached.join("\n")], ["configmaps", state]] as const) {
      expect(text, where).not.toContain(gitea.token);
      expect(text, where).not.toContain(basic);
    }
  });
});
