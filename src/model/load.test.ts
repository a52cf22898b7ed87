import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { buildRepo } from "./build.ts";
import { loadRepo, PACKAGE_ROOT, readSchemas } from "./load.ts";

const H = "apiVersion: berth.dev/v1alpha1\n";
const cluster = (name: string) => `${H}kind: Cluster\nmetadata: { name: ${name} }\nspec: { kubeconfig: { inCluster: true } }\n`;
const workload = (name: string, version: string, templates: string[]) =>
  `${H}kind: WorkloadDefinition\nmetadata: { name: ${name} }\nspec:\n  version: ${version}\n  workloadKind: Deployment\n  templates: ${JSON.stringify(templates)}\n`;

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "berth-load-"));
  dirs.push(dir);
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function issuesOf(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
    return [];
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`);
    throw err;
  }
}

describe("loadRepo", () => {
  it("reads .yaml and .yml recursively, skipping hidden files and folders and node_modules", async () => {
    const root = tree({
      "a.yaml": cluster("a"),
      "deep/er/b.yml": cluster("b"),
      ".git/bad.yaml": "not: [valid",
      ".github/workflows/ci.yaml": "on: push\n",
      ".gitlab-ci.yml": "stages: [test]\n",
      "node_modules/x/bad.yaml": "- nope\n",
      "notes.txt": "- nope\n",
    });
    const repo = await loadRepo(root, { noBuiltins: true });
    expect(repo.clusters.map((c) => [c.metadata.name, c.origin.file])).toEqual([
      ["a", "a.yaml"],
      ["b", "deep/er/b.yml"],
    ]);
  });

  it("does not follow a symlinked folder out of the repository", async () => {
    const outside = tree({ "evil.yaml": "- not a berth document\n" });
    const root = tree({ "a.yaml": cluster("a") });
    symlinkSync(outside, join(root, "linked"));
    const repo = await loadRepo(root, { noBuiltins: true });
    expect(repo.clusters).toHaveLength(1);
  });

  it("loads built-ins with their templates, and lets the repository override one", async () => {
    const pkg = tree({
      "definitions/workloads/web.yaml": workload("web", "1.0.0", ["../../charts-template/web/deploy.yaml.hbs"]),
      "definitions/workloads/job.yaml": workload("job", "1.0.0", ["../../charts-template/job.yaml.hbs"]),
      "charts-template/web/deploy.yaml.hbs": "builtin web",
      "charts-template/job.yaml.hbs": "builtin job",
    });
    const root = tree({
      "defs/web.yaml": workload("web", "2.0.0", ["tpl/deploy.yaml"]),
      "defs/tpl/deploy.yaml": "{{ not a berth document }}\n",
    });
    const repo = await loadRepo(root, { builtinsDir: pkg });
    const byName = Object.fromEntries(repo.workloads.map((w) => [w.metadata.name, w]));
    expect(byName.web?.builtin).toBe(false);
    expect(byName.web?.spec.version).toBe("2.0.0");
    expect(byName.web?.files).toEqual({ "tpl/deploy.yaml": "{{ not a berth document }}\n" });
    expect(byName.job?.builtin).toBe(true);
    expect(byName.job?.files).toEqual({ "../../charts-template/job.yaml.hbs": "builtin job" });
  });

  it("refuses a built-in template outside the package", async () => {
    const pkg = tree({ "definitions/workloads/web.yaml": workload("web", "1.0.0", ["../../../etc/hostname"]) });
    const root = tree({});
    expect(await issuesOf(loadRepo(root, { builtinsDir: pkg }))).toEqual([
      expect.stringMatching(/^<builtin>\/definitions\/workloads\/web.yaml:7 spec.templates\[0\]: .*leads outside the berth package/),
    ]);
  });

  it("reports issues of every file at once", async () => {
    const root = tree({ "a.yaml": "- x\n", "b.yaml": cluster("B"), "c.yaml": cluster("c").replace("inCluster: true", "inCluster: yes please") });
    const issues = await issuesOf(loadRepo(root, { noBuiltins: true }));
    expect(issues).toEqual([
      expect.stringMatching(/^a.yaml:1 : a document must be a mapping/),
      expect.stringMatching(/^b.yaml:3 metadata.name: must be a DNS-1123 label/),
      expect.stringMatching(/^c.yaml:4 spec.kubeconfig.inCluster: must be of type boolean, got a string "yes please"/),
    ]);
  });
});

describe("buildRepo (no disk)", () => {
  it("builds from texts and a template reader", async () => {
    const schemas = await readSchemas(PACKAGE_ROOT);
    const repo = buildRepo({
      root: "/r",
      files: [{ path: "w.yaml", text: workload("web", "1.0.0", ["t/a.hbs"]) }, { path: "c.yaml", text: cluster("c") }],
      builtins: [],
      schemas,
      readTemplate: ({ path }) => (path === "t/a.hbs" ? { text: "A" } : { error: `file ${path} does not exist` }),
    });
    expect(repo.workloads[0]?.files).toEqual({ "t/a.hbs": "A" });
    expect(repo.clusters[0]?.metadata.name).toBe("c");
  });

  it("reports an oversized file it was only told the size of", async () => {
    const schemas = await readSchemas(PACKAGE_ROOT);
    expect(() =>
      buildRepo({ root: "/r", files: [{ path: "big.yaml", size: 5_000_000 }], builtins: [], schemas, readTemplate: () => ({ error: "x" }) }),
    ).toThrow(/big.yaml:1:1 file is 5000000 bytes, over the limit/);
  });
});
