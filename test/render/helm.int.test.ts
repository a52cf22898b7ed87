// The generated charts through the REAL helm: `helm lint --strict` of every
// chart, `helm template` of every release of the examples, a user value
// `{{ .Release.Name }}` reaching the manifest literally, and (when the harness
// started clusters) a server-side dry-run apply of every release's manifests.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { afterAll, describe, expect, inject, it } from "vitest";
import { writeOutput } from "../../src/cli/render.ts";
import { loadRepo } from "../../src/model/load.ts";
import type { ReleaseSpec } from "../../src/model/types.ts";
import { outputFiles, releaseBase, renderRepo, type Rendered } from "../../src/render/output.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const { helm, kubectl } = inject("binaries");
const clusters = inject("clusters");
const work = mkdtempSync(join(tmpdir(), "berth-helm-int-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function renderTo(repoDir: string, out: string): Promise<Rendered> {
  const rendered = renderRepo(await loadRepo(repoDir));
  await writeOutput(out, outputFiles(rendered));
  return rendered;
}

async function template(out: string, r: ReleaseSpec): Promise<string> {
  const res = await execa(helm, [
    "template", r.name, join(out, "charts", r.chart.name),
    "--namespace", r.namespace, "--values", join(out, `${releaseBase(r)}.yaml`),
  ]);
  return res.stdout;
}

describe.each(["shop", "platform"])("examples/%s through helm", (example) => {
  const out = join(work, example);
  let rendered: Rendered;
  // the releases of berth's generated charts; a third-party chart (examples/platform's
  // metrics-server) is loaded without its source here, and templated by chart-golden.int.test.ts
  const generated = () => rendered.releases.filter((r) => r.workloadKind !== "Chart");

  it("every chart passes helm lint --strict", async () => {
    rendered = await renderTo(join(PKG_ROOT, "examples", example), out);
    for (const c of rendered.charts) {
      const res = await execa(helm, ["lint", "--strict", join(out, "charts", c.name)], { reject: false });
      expect(res.exitCode, `${c.name}: ${res.stdout}\n${res.stderr}`).toBe(0);
    }
  });

  it("every release renders with helm template into named Kubernetes objects", async () => {
    for (const r of generated()) {
      const docs = parseAllDocuments(await template(out, r)).map((d) => d.toJS() as Record<string, unknown> | null);
      const objects = docs.filter((d) => d !== null);
      expect(objects.length, r.name).toBeGreaterThan(0);
      for (const o of objects) {
        expect(o.apiVersion, r.name).toBeTruthy();
        expect((o.metadata as { name?: string }).name, r.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      }
    }
  });

  it.runIf(clusters.length > 0)("the API server accepts every release in a server-side dry run", async () => {
    const kubeconfig = clusters[0]!.kubeconfig;
    for (const ns of new Set(generated().map((r) => r.namespace))) {
      const yaml = (await execa(kubectl, ["create", "namespace", ns, "--dry-run=client", "-o", "yaml"])).stdout;
      await execa(kubectl, ["--kubeconfig", kubeconfig, "apply", "-f", "-"], { input: yaml });
    }
    for (const r of generated()) {
      const manifest = await template(out, r);
      const res = await execa(
        kubectl,
        ["--kubeconfig", kubeconfig, "apply", "--dry-run=server", "--namespace", r.namespace, "-f", "-"],
        { input: manifest, reject: false },
      );
      expect(res.exitCode, `${r.cluster}/${r.name}: ${res.stderr}`).toBe(0);
    }
  });
});

describe("user data stays data", () => {
  it("a `{{ .Release.Name }}` in a Component's env, config and trait values reaches the manifest literally", async () => {
    const repoDir = join(work, "literal");
    cpSync(join(PKG_ROOT, "examples", "shop"), repoDir, { recursive: true });
    const api = join(repoDir, "components", "api-3.0.6.yaml");
    writeFileSync(
      api,
      readFileSync(api, "utf8").replace("env: { LOG_LEVEL: info }", `env: { LOG_LEVEL: info, GREETING: "{{ .Release.Name }}" }`),
    );
    const overlay = join(repoDir, "overlays", "shop-prod.yaml");
    writeFileSync(
      overlay,
      readFileSync(overlay, "utf8").replace("config: { featureX: true }", `config: { featureX: true, motto: "{{ .Values.image }}" }`),
    );
    const out = join(work, "literal-out");
    const rendered = await renderTo(repoDir, out);
    // the user's text is in the values only, never in a chart
    for (const c of rendered.charts) for (const text of Object.values(c.files)) expect(text).not.toContain("GREETING");
    const r = rendered.releases.find((x) => x.cluster === "prod-hk" && x.entry === "api")!;
    const manifest = await template(out, r);
    expect(manifest).toContain(`- name: "GREETING"\n              value: "{{ .Release.Name }}"`);
    expect(manifest).toContain("motto: '{{ .Values.image }}'");
  });
});
