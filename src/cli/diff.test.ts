// `berth render` and `berth diff` end to end on a real temporary git repository.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PKG_ROOT } from "../../test/unit/render/fixture.ts";
import { runBerth } from "../../test/support/cli.ts";

const berth = (args: string[], cwd: string) => runBerth(args, cwd);

let dir: string;
const git = (...args: string[]) => execa("git", args, { cwd: dir });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "berth-diff-test-"));
  cpSync(join(PKG_ROOT, "examples", "platform"), join(dir, "defs"), { recursive: true });
  await git("init", "-q", "-b", "main");
  await git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A");
  await git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("berth render", () => {
  it("writes charts and one values + metadata file per release", async () => {
    const r = await berth(["render", "defs", "--out", "out"], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("rendered 5 charts and 10 releases");
    expect(existsSync(join(dir, "out/charts/webservice/Chart.yaml"))).toBe(true);
    expect(readFileSync(join(dir, "out/releases/prod-eu/store/catalog.release.yaml"), "utf8")).toContain("version: 1.1.0");
  });
  it("exits 2 without --out", async () => {
    expect((await berth(["render", "defs"], dir)).code).toBe(2);
  });
});

describe("berth diff", () => {
  // No helm in the unit tests: a helm that does not exist shows where diff would have called one.
  const NO_HELM = ["--helm", "/no/such/helm"];

  it("exits 0 when the work tree renders like the base, and calls no helm", async () => {
    const r = await berth(["diff", "--base", "HEAD", ...NO_HELM, "defs"], dir);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toBe("No changes.\n");
  });

  it("exits 3 and shows the version move and its steps, without touching the work tree", async () => {
    const file = join(dir, "defs/overlays/store-staging.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, before.replace('version: "~1.0.0"', 'version: "~1.1.0"'));
    const status = (await git("status", "--porcelain")).stdout;
    const text = await berth(["diff", "--base", "HEAD", "--no-manifests", "defs"], dir);
    expect(text.err).toBe("");
    expect(text.code).toBe(3);
    expect(text.out).toContain("staging/store/catalog (store-catalog) changed: upgrade 1.0.0 -> 1.1.0");
    expect(text.out).not.toContain("objects");
    expect(text.out).toContain("run step >=1.0.0 <1.1.0 -> 1.1.0: registry.example.com/store/catalog:1.1.0 migrate --to 1.1.0");
    const md = await berth(["diff", "--base", "HEAD", "--format", "markdown", "--no-manifests", "defs"], dir);
    expect(md.code).toBe(3);
    // the marker the pull-request script finds its comment by, then both revisions: HEAD's commit, and the work tree
    expect(md.out).toMatch(/^<!-- berth-diff -->\n## berth diff: `HEAD` \([0-9a-f]{7}\) → the work tree\n/);
    expect(md.out).toContain("1.0.0 → 1.1.0 (upgrade)");
    expect((await git("status", "--porcelain")).stdout).toBe(status);
    writeFileSync(file, before);
  });

  it("names the file:line that moves the version and sets each changed value (or set it, when gone), in text and markdown", async () => {
    const file = join(dir, "defs/overlays/store-staging.yaml");
    const before = readFileSync(file, "utf8");
    const app = join(dir, "defs/apps/store.yaml");
    const appBefore = readFileSync(app, "utf8");
    writeFileSync(file, before.replace('version: "~1.0.0"', 'version: "~1.1.0"'));
    writeFileSync(app, appBefore.replace(", tls: { secretName: catalog-tls }", ""));
    try {
      const text = await berth(["diff", "--base", "HEAD", "--no-manifests", "defs"], dir);
      expect(text.code).toBe(3);
      const line = (re: RegExp) => text.out.split("\n").find((l) => re.test(l));
      expect(line(/^ {6}version /)).toMatch(/^ {6}version moved by "~1\.1\.0" at overlays\/store-staging\.yaml:\d+:\d+ \(Overlay store-staging, was "~1\.0\.0"\)$/);
      expect(line(/values ~ image\.tag/)).toMatch(/values ~ image\.tag: "1\.0\.0" -> "1\.1\.0" {2}<- components\/catalog-1\.1\.0\.yaml:\d+:\d+ spec\.version \(Component catalog@1\.1\.0\)$/);
      const md = await berth(["diff", "--base", "HEAD", "--format", "markdown", "--no-manifests", "defs"], dir);
      expect(md.out).toMatch(/- `version moved by "~1\.1\.0" at overlays\/store-staging\.yaml:\d+:\d+ \(Overlay store-staging, was "~1\.0\.0"\)`/);
      expect(md.out).toMatch(/\n! values\.image\.tag: "1\.0\.0" -> "1\.1\.0" {2}<- components\/catalog-1\.1\.0\.yaml:\d+:\d+ spec\.version \(Component catalog@1\.1\.0\)\n/);
      // a value only the base had is named where the base set it
      expect(line(/values - traits\.ingress\.tls/)).toMatch(/values - traits\.ingress\.tls\.secretName: "catalog-tls" {2}<- was apps\/store\.yaml:\d+:\d+ spec\.components\[\d\]\.traits\.ingress\.tls\.secretName \(Application store\)$/);
    } finally {
      writeFileSync(file, before);
      writeFileSync(app, appBefore);
    }
  });

  it("exits 3 on an edited upgrade step without a version move, and names the step and the field (no helm call: manifests cannot differ)", async () => {
    const file = join(dir, "defs/components/catalog-1.1.0.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, before.replace('args: ["migrate", "--to", "1.1.0"]', 'args: ["migrate", "--to", "1.1.0", "--lock"]'));
    try {
      const text = await berth(["diff", "--base", "HEAD", ...NO_HELM, "defs"], dir);
      expect(text.err).toBe("");
      expect(text.code).toBe(3);
      expect(text.out).toContain("prod-eu/store/catalog (store-catalog) changed: upgrade steps");
      expect(text.out).toContain('~ run.args: ["migrate","--to","1.1.0"] -> ["migrate","--to","1.1.0","--lock"]');
      const md = await berth(["diff", "--base", "HEAD", "--format", "markdown", "defs"], dir);
      expect(md.code).toBe(3);
      expect(md.out).toContain("! upgrade step >=1.0.0 <1.1.0 -> 1.1.0: run.args:");
    } finally {
      writeFileSync(file, before);
    }
  });

  it("a helm that cannot run: the release says its objects were not compared, a warning, the exit code of the changes", async () => {
    const file = join(dir, "defs/overlays/store-staging.yaml");
    const before = readFileSync(file, "utf8");
    writeFileSync(file, before.replace('version: "~1.0.0"', 'version: "~1.1.0"'));
    try {
      const r = await berth(["diff", "--base", "HEAD", ...NO_HELM, "defs"], dir);
      expect(r.code).toBe(3);
      expect(r.out).toContain("      objects not compared: base: cannot run helm (/no/such/helm)");
      expect(r.err).toMatch(/^warning: objects of staging\/store\/catalog not compared: base: cannot run helm/);
    } finally {
      writeFileSync(file, before);
    }
  });

  it("--help says what --no-manifests skips", async () => {
    const r = await berth(["diff", "--help"], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--no-manifests +skip the helm template step/);
    expect(r.out).toContain("Kubernetes objects");
  });

  it("compares two revisions with --head", async () => {
    const r = await berth(["diff", "--base", "HEAD", "--head", "HEAD", "defs"], dir);
    expect(r.code).toBe(0);
  });

  it.each([
    { name: "unknown revision", args: ["diff", "--base", "no-such-rev", "defs"], code: 2, err: /--base no-such-rev: no such commit in .*; give a branch, tag or commit SHA/ },
    { name: "unknown head revision", args: ["diff", "--base", "HEAD", "--head", "v9", "defs"], code: 2, err: /--head v9: no such commit/ },
    { name: "not in a git work tree", args: ["diff", "--base", "HEAD", tmpdir()], code: 2, err: /is not inside a git work tree/ },
    { name: "no such directory", args: ["diff", "--base", "HEAD", "no-such-dir"], code: 2, err: /no-such-dir is not a directory/ },
    { name: "bad format", args: ["diff", "--base", "HEAD", "--format", "html", "defs"], code: 2, err: /text or markdown/ },
    { name: "missing --base", args: ["diff", "defs"], code: 2, err: /--base/ },
  ])("$name exits $code", async ({ args, code, err }) => {
    const r = await berth(args, dir);
    expect(r.code).toBe(code);
    expect(r.err).toMatch(err);
  });
});
