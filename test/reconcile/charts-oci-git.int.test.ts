// Charts from an OCI registry (CNCF Distribution, `helm push`) and from git,
// reconciled onto a real cluster: metrics-server by tag, then a different build
// re-pushed under the same version (a new manifest digest, so berth upgrades
// and the record says why); gatekeeper's crds/ created on install; a chart
// directory and a packaged .tgz committed to the definitions repository; and a
// chart whose values.schema.json the Overlay breaks, refused at validate with
// the Overlay's file:line and applied nowhere.
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureCharts, startRegistry, type PackagedCharts, type Registry } from "../cluster/charts.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { configMapTemplate, writeChart } from "./chart-release.ts";
import { chartRepository, chartRig, helmList, metricsServer, outcomes, reasons, releaseDeployments, releaseIn, uninstall, type ChartRig } from "./chart-sources.ts";
import { berth, clusterFiles, kubeFor, revisions, tempCacheDir } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;

let charts: PackagedCharts;
let registry: Registry;
let work: string;

const entryApp = (name: string, ns: string, entries: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ${name} }
spec:
  namespace: ${ns}
  components:
${entries}`;

/** metrics-server 3.13.1 as built again with other content: Deployments carry the label build=rebuilt. */
async function rebuiltMetricsServer(): Promise<string> {
  const dir = await mkdtemp(join(work, "rebuild-"));
  await execa("tar", ["xzf", charts["metrics-server@3.13.1"]!, "-C", dir]);
  const values = join(dir, "metrics-server", "values.yaml");
  const text = await readFile(values, "utf8");
  if (!/^commonLabels: \{\}$/m.test(text)) throw new Error("metrics-server 3.13.1's values.yaml no longer has `commonLabels: {}`");
  await writeFile(values, text.replace(/^commonLabels: \{\}$/m, "commonLabels: { build: rebuilt }"));
  const out = await mkdtemp(join(work, "rebuilt-"));
  await execa(binaries.helm, ["package", join(dir, "metrics-server"), "--destination", out]);
  return join(out, "metrics-server-3.13.1.tgz");
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "berth-charts-oci-git-"));
  charts = await ensureCharts(binaries);
  registry = await startRegistry({ binaries, charts: [charts["metrics-server@3.13.1"]!, charts["gatekeeper@3.23.1"]!] });
});
afterAll(async () => {
  await registry?.stop();
});

describe("charts from an OCI registry", () => {
  const NS = "rt-ch-oci";
  const GK_NS = "rt-ch-gk";
  let repo: GitFixture;
  let rig: ChartRig;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(east.kubeconfig);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);

  beforeAll(async () => {
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "repositories/lab.yaml": chartRepository("lab", registry.url, "  insecure: true\n  interval: 1h\n"),
      "components/metrics.yaml": metricsServer("oc-metrics", "lab"),
      // gatekeeper without its webhooks and hook Jobs: nothing serves them on this cluster, and the cluster is shared
      "components/gatekeeper.yaml": `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: gatekeeper }
spec:
  chart: { repository: lab, name: gatekeeper }
  values:
    replicas: 1
    disableValidatingWebhook: true
    disableMutation: true
    postInstall: { labelNamespace: { enabled: false }, probeWebhook: { enabled: false } }
    upgradeCRDs: { enabled: false }
`,
      "apps/oc.yaml": entryApp("oc", NS, '    - { name: metrics, component: oc-metrics, version: "3.13.1" }\n'),
      "apps/gk.yaml": entryApp("gk", GK_NS, '    - { name: policy, component: gatekeeper, version: "^3.23.0" }\n'),
    });
    rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm });
  });
  afterAll(async () => {
    await rig?.close();
    await uninstall(binaries.helm, east, NS, ["oc-metrics"]);
    await uninstall(binaries.helm, east, GK_NS, ["gk-policy"]);
    const all = await ext.listCustomResourceDefinition();
    for (const c of all.items.filter((x) => x.spec.group.endsWith(".gatekeeper.sh") || x.spec.group === "gatekeeper.sh")) {
      await ext.deleteCustomResourceDefinition({ name: c.metadata!.name! }).catch(() => undefined);
    }
  });

  it("installs metrics-server by tag and gatekeeper with its CRDs, which berth creates before helm runs", async () => {
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/oc-metrics": "applied", "east/gk-policy": "applied" });
    expect(await helmList(binaries.helm, east, NS)).toEqual([{ name: "oc-metrics", revision: "1", status: "deployed", chart: "metrics-server-3.13.1" }]);
    expect(await helmList(binaries.helm, east, GK_NS)).toEqual([{ name: "gk-policy", revision: "1", status: "deployed", chart: "gatekeeper-3.23.1" }]);

    const { stdout } = await execa(binaries.helm, ["show", "crds", charts["gatekeeper@3.23.1"]!]);
    const inChart = [...stdout.matchAll(/^kind: CustomResourceDefinition\nmetadata:\n(?: {2}.*\n)*? {2}name: (\S+)$/gm)].map((m) => m[1]!).sort();
    expect(inChart).toContain("constrainttemplates.templates.gatekeeper.sh");
    expect(inChart.length).toBe(17);
    const rec = releaseIn(report, east.name, "gk-policy").records;
    expect(rec.map((r) => [r.action, r.toVersion, r.result])).toEqual([["install", "3.23.1", "succeeded"]]);
    expect(rec[0]!.crds).toEqual({ created: inChart, replaced: [] });
    for (const name of inChart) {
      const crd = await ext.readCustomResourceDefinition({ name });
      expect(crd.status?.conditions?.find((c) => c.type === "Established")?.status, name).toBe("True");
    }
    expect((await releaseDeployments(east, GK_NS, "gk-policy")).map((d) => d.name).sort()).toEqual(["gatekeeper-audit", "gatekeeper-controller-manager"]);
    // the manifest digest of the tag, never the tag, is what the release is
    const md = rec[0]!.chartDigest;
    expect(md).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it("a different build re-pushed under the same version: the digest moves, berth upgrades 3.13.1 -> 3.13.1 and the record says why", async () => {
    const pulls = rig.fetcher.requests.pull;
    const before = (await revisions(east, NS, "oc-metrics")).length;
    await registry.push(await rebuiltMetricsServer());

    // inside the interval nothing is re-read, so nothing moves
    const quiet = await rig.pass();
    expect(quiet.helmCalls).toBe(0);
    expect(rig.fetcher.requests.pull).toBe(pulls);

    // a webhook push: the tag's manifest is read again
    rig.reconciler.refreshCharts();
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/oc-metrics": "applied", "east/gk-policy": "unchanged" });
    const rec = releaseIn(report, east.name, "oc-metrics").records;
    expect(rec.map((r) => [r.action, r.fromVersion, r.toVersion, r.result])).toEqual([["upgrade", "3.13.1", "3.13.1", "succeeded"]]);
    expect(rec[0]!.reason).toMatch(/^chart metrics-server 3\.13\.1 was re-pushed with other content \(sha256:[a-f0-9]+… -> sha256:[a-f0-9]+…\)$/);
    expect(rig.fetcher.requests.pull).toBe(pulls + 1);
    expect(await revisions(east, NS, "oc-metrics")).toHaveLength(before + 1);
    const [d] = (await kubeFor(east).apps.listNamespacedDeployment({ namespace: NS, labelSelector: "app.kubernetes.io/instance=oc-metrics" })).items;
    expect(d!.metadata!.labels!.build).toBe("rebuilt");
  });
});

describe("charts committed to git", () => {
  const NS = "rt-ch-git";
  let repo: GitFixture;
  let rig: ChartRig;

  const component = (name: string, path: string, value: string) => `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: ${name} }
spec:
  chart: { path: ${path} }
  values: { value: ${value} }
`;
  const chartYaml = (name: string, version: string) => `apiVersion: v2\nname: ${name}\nversion: ${version}\n`;

  beforeAll(async () => {
    repo = await createBareRepo();
    // a packaged chart, committed as a .tgz
    const pkgDir = await writeChart("gitpkg", "2.0.0", { "templates/cm.yaml": configMapTemplate });
    const out = await mkdtemp(join(work, "pkg-"));
    await execa(binaries.helm, ["package", pkgDir, "--destination", out]);
    await mkdir(join(repo.workDir, "charts"), { recursive: true });
    await copyFile(join(out, "gitpkg-2.0.0.tgz"), join(repo.workDir, "charts", "gitpkg-2.0.0.tgz"));
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "charts/gitdemo/Chart.yaml": chartYaml("gitdemo", "1.0.0"),
      "charts/gitdemo/values.yaml": "value: chart-default\n",
      "charts/gitdemo/templates/cm.yaml": configMapTemplate,
      "components/demo.yaml": component("demo", "charts/gitdemo", "from-component"),
      "components/pkg.yaml": component("pkg", "charts/gitpkg-2.0.0.tgz", "from-tgz"),
      "apps/gd.yaml": entryApp("gd", NS, '    - { name: dir, component: demo, version: "^1.0.0", values: { value: from-entry } }\n    - { name: tgz, component: pkg, version: "2.0.0" }\n'),
    });
    rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm });
  });
  afterAll(async () => {
    await rig?.close();
    await uninstall(binaries.helm, east, NS, ["gd-dir", "gd-tgz"]);
    if (repo) await removeRepo(repo);
  });

  const configMap = async (name: string) => (await kubeFor(east).core.readNamespacedConfigMap({ name, namespace: NS })).data;

  it("installs a chart directory and a packaged .tgz from the commit, with no chart source at all", async () => {
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/gd-dir": "applied", "east/gd-tgz": "applied" });
    expect(await helmList(binaries.helm, east, NS)).toEqual([
      { name: "gd-dir", revision: "1", status: "deployed", chart: "gitdemo-1.0.0" },
      { name: "gd-tgz", revision: "1", status: "deployed", chart: "gitpkg-2.0.0" },
    ]);
    expect(await configMap("gd-dir")).toEqual({ chart: "1.0.0", value: "from-entry" });
    expect(await configMap("gd-tgz")).toEqual({ chart: "2.0.0", value: "from-tgz" });
    expect(rig.fetcher.requests).toEqual({ index: 0, manifest: 0, pull: 0 });
    const again = await rig.pass();
    expect(again.helmCalls).toBe(0);
  });

  it("a new version of the chart directory in a commit is an upgrade; the .tgz release is left alone", async () => {
    await commitFiles(repo, {
      "charts/gitdemo/Chart.yaml": chartYaml("gitdemo", "1.1.0"),
      "charts/gitdemo/templates/extra.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-extra\ndata:\n  added: \"1.1.0\"\n",
    });
    const report = await rig.pass();
    expect(outcomes(report), reasons(report)).toEqual({ "east/gd-dir": "applied", "east/gd-tgz": "unchanged" });
    expect(releaseIn(report, east.name, "gd-dir").records.map((r) => [r.action, r.fromVersion, r.toVersion, r.result])).toEqual([["upgrade", "1.0.0", "1.1.0", "succeeded"]]);
    expect(await configMap("gd-dir")).toEqual({ chart: "1.1.0", value: "from-entry" });
    expect(await configMap("gd-dir-extra")).toEqual({ added: "1.1.0" });
  });
});

describe("a chart whose values.schema.json the Overlay breaks", () => {
  const NS = "rt-ch-schema";
  let repo: GitFixture;

  beforeAll(async () => {
    repo = await createBareRepo();
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "charts/strict/Chart.yaml": "apiVersion: v2\nname: strict\nversion: 1.0.0\n",
      "charts/strict/values.yaml": "replicas: 1\n",
      "charts/strict/values.schema.json": JSON.stringify({
        $schema: "https://json-schema.org/draft-07/schema#",
        type: "object",
        properties: { replicas: { type: "integer", minimum: 1 } },
      }, null, 2),
      "charts/strict/templates/cm.yaml": configMapTemplate,
      "components/strict.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Component\nmetadata: { name: strict }\nspec:\n  chart: { path: charts/strict }\n",
      "apps/st.yaml": entryApp("st", NS, '    - { name: api, component: strict, version: "1.0.0" }\n'),
      "overlays/east.yaml": `apiVersion: berth.dev/v1alpha1
kind: Overlay
metadata: { name: st-east }
spec:
  application: st
  clusters: [east]
  components:
    api:
      values:
        replicas: two
`,
    });
  });
  afterAll(async () => {
    if (repo) await removeRepo(repo);
  });

  it("`berth validate` names the Overlay's file:line and what the schema wants; a reconcile applies nothing", async () => {
    const v = await berth(["validate", repo.workDir]);
    expect(v.code).not.toBe(0);
    expect(v.out).toBe("");
    expect(v.err).toMatch(/^overlays\/east\.yaml:10:19 spec\.components\.api\.values\.replicas: .*integer/m);
    expect(v.err).not.toMatch(/^apps\//m);

    const rig = await chartRig({ url: repo.url, cacheDir: await tempCacheDir(), helm: binaries.helm });
    try {
      const report = await rig.reconciler.runOnce();
      expect(report.invalid?.issues.map((i) => `${i.file}:${i.line}`)).toEqual(["overlays/east.yaml:10"]);
      expect(report.clusters).toEqual([]);
      expect(report.helmCalls).toBe(0);
    } finally {
      await rig.close();
    }
    expect(await revisions(east, NS, "st-api")).toEqual([]);
  });
});
