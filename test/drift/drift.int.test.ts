// Drift end to end: berth installs releases from a real git remote with the
// real helm onto a local cluster; someone edits a managed Deployment with
// client-node; `report` lists the drift (never status or defaults), `correct`
// restores it and records correct-drift, and an autoscaler's replicas are not
// drift. Helm 3 is covered with a hand-written chart that keeps replicas in
// its manifest while the values say the autoscaler is on.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { mkdtemp, mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { execa } from "execa";
import { pino } from "pino";
import { createKube } from "../../src/adapters/kube.ts";
import { defaultRenderer } from "../../src/cli/reconciler-flags.ts";
import { createReconciler } from "../../src/reconcile/loop.ts";
import { checkDrift, type DriftReport } from "../../src/reconcile/drift-check.ts";
import { openSource } from "../../src/reconcile/source.ts";
import type { ReleaseSpec } from "../../src/model/types.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent, workerComponent } from "../reconcile/fixture.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const log = pino({ level: process.env.BERTH_TEST_LOG ?? "silent" });
const IMAGE = "registry.example.com/test/api";

const apps = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: watch }
spec:
  namespace: dr-watch
  components:
    - { name: api, component: api, version: "^1.0.0" }
---
apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: fix }
spec:
  namespace: dr-fix
  drift: correct
  components:
    - { name: api, component: api, version: "^1.0.0" }
    - name: cache
      component: cache
      version: "^1.0.0"
      traits: { autoscaler: { min: 1, max: 5 } }
`;

let repo: GitFixture;
let cache: string;
const src = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache];

const apps1 = () => kubeFor(east!).apps;
const strategicPatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);
async function tamper(namespace: string, name: string, body: object) {
  await apps1().patchNamespacedDeployment({ name, namespace, body }, strategicPatch);
}
const labelOf = async (namespace: string, name: string, key: string) => (await apps1().readNamespacedDeployment({ name, namespace })).metadata?.labels?.[key];

type Run = { revision?: string; reports: DriftReport[] };
const find = (run: Run, release: string) => run.reports.find((r) => r.release === release)!;
const paths = (r: DriftReport) => r.drifted.flatMap((o) => (o.missing ? [`${o.kind}/${o.name} missing`] : o.fields.map((f) => `${o.kind}/${o.name}: ${f.path}`)));

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(
    repo,
    {
      ...clusterFiles([east!]),
      "components/api-1.0.0.yaml": webComponent("api", "1.0.0"),
      "components/cache.yaml": workerComponent("cache", "1.0.0"),
      "apps/apps.yaml": apps,
    },
    { message: "two applications" },
  );
  const r = await berth(["reconcile", "--once", ...src(), "--helm-timeout", "60"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
});

afterAll(async () => {
  await removeRepo(repo);
});

describe("drift on berth's own releases (Helm 4)", () => {
  it("right after install there is no drift: defaults, status and controller metadata are not drift", async () => {
    const r = await berth(["drift", ...src(), "--output", "json"]);
    expect(r.err).toBe("");
    const run = JSON.parse(r.out) as Run;
    expect(run.reports.map((x) => [x.release, x.count, x.error]).sort()).toEqual([
      ["fix-api", 0, undefined],
      ["fix-cache", 0, undefined],
      ["watch-api", 0, undefined],
    ]);
    expect(r.code).toBe(0);
  });

  it("report lists a changed image and label, not an added label, status or defaults; an autoscaler's replicas are not drift", async () => {
    for (const ns of ["dr-watch", "dr-fix"]) {
      const name = ns === "dr-watch" ? "watch-api" : "fix-api";
      await tamper(ns, name, {
        metadata: { labels: { "app.kubernetes.io/version": "tampered", "added-by-hand": "yes" } },
        spec: { template: { spec: { containers: [{ name: "api", image: `${IMAGE}:tampered` }] } } },
      });
    }
    await tamper("dr-fix", "fix-cache", { spec: { replicas: 3 } });

    const r = await berth(["drift", ...src(), "--output", "json"]);
    expect(r.code).toBe(3);
    const run = JSON.parse(r.out) as Run;
    const expected = ['Deployment/watch-api: metadata.labels["app.kubernetes.io/version"]', "Deployment/watch-api: spec.template.spec.containers[0].image"];
    expect(paths(find(run, "watch-api")).sort()).toEqual(expected);
    const image = find(run, "watch-api").drifted[0]!.fields.find((f) => f.path.endsWith("image"))!;
    // client-node's patch names no field manager: the API server takes its User-Agent's, node-fetch
    const byPatch = { manager: "node-fetch", operation: "Update", time: expect.any(String), exact: true };
    expect(image).toEqual({ path: "spec.template.spec.containers[0].image", expected: `${IMAGE}:1.0.0`, live: `${IMAGE}:tampered`, by: byPatch });
    expect(find(run, "fix-api").count).toBe(2);
    expect(find(run, "fix-cache").count).toBe(0);
    // the CLI reports only, whatever the policy
    expect(await deploymentImage(east!, "dr-fix", "fix-api")).toBe(`${IMAGE}:tampered`);

    const text = await berth(["drift", ...src()]);
    expect(text.out).toContain(`Deployment/watch-api: spec.template.spec.containers[0].image: "${IMAGE}:1.0.0" -> "${IMAGE}:tampered"`);
  });

  it("the loop's check follows each application's policy: fix is corrected and recorded, watch is only reported", async () => {
    const source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
    try {
      const reconciler = createReconciler({ source, renderer: defaultRenderer, log, cacheDir: cache, helmBinary: binaries.helm });
      const metrics: Array<[string, string, number]> = [];
      const run = await reconciler.checkDrift({ onDrift: (c, rel, n) => metrics.push([c, rel, n]) });
      expect(find(run, "fix-api")).toMatchObject({ policy: "correct", count: 2, corrected: "succeeded" });
      expect(find(run, "watch-api")).toMatchObject({ policy: "report", count: 2 });
      expect(find(run, "watch-api").corrected).toBeUndefined();
      expect(metrics.sort()).toEqual([
        [east!.name, "fix-api", 0],
        [east!.name, "fix-cache", 0],
        [east!.name, "watch-api", 2],
      ]);
    } finally {
      await source.close();
    }
    expect(await deploymentImage(east!, "dr-fix", "fix-api")).toBe(`${IMAGE}:1.0.0`);
    expect(await labelOf("dr-fix", "fix-api", "app.kubernetes.io/version")).toBe("1.0.0");
    // Helm's ownership marks stay, so helm still owns the object
    expect(await labelOf("dr-fix", "fix-api", "app.kubernetes.io/managed-by")).toBe("Helm");
    expect(await deploymentImage(east!, "dr-watch", "watch-api")).toBe(`${IMAGE}:tampered`);
    expect((await apps1().readNamespacedDeployment({ name: "fix-cache", namespace: "dr-fix" })).spec?.replicas).toBe(3);

    const hist = await berth(["history", "fix-api", "--cluster", east!.name, ...src(), "--output", "json"]);
    const records = JSON.parse(hist.out) as Array<{ action: string; result: string; drifted?: string[] }>;
    expect(records.map((x) => `${x.action}:${x.result}`)).toEqual(["install:succeeded", "correct-drift:succeeded"]);
    // each line ends naming who had changed the field (a line without it keeps its end and fails)
    const lines = records[1]!.drifted!.sort().map((l) => l.replace(/ \(by node-fetch Update at \S+\)$/, ""));
    expect(lines).toEqual(['Deployment/fix-api: metadata.labels["app.kubernetes.io/version"]', "Deployment/fix-api: spec.template.spec.containers[0].image"]);
  });

  it("berth drift --correct restores the rest; then there is none, and the next helm upgrade meets no field conflict", async () => {
    const fixed = await berth(["drift", ...src(), "--correct"]);
    expect(fixed.code).toBe(3);
    expect(fixed.out).toContain("watch-api (revision 1): 2 drifted, correction succeeded");
    expect(await deploymentImage(east!, "dr-watch", "watch-api")).toBe(`${IMAGE}:1.0.0`);
    const after = await berth(["drift", ...src()]);
    expect(after.code).toBe(0);

    await commitFiles(repo, { "components/api-1.0.1.yaml": webComponent("api", "1.0.1") }, { message: "api 1.0.1" });
    const r = await berth(["reconcile", "--once", ...src(), "--helm-timeout", "60"]);
    expect(r.code).toBe(0);
    expect(await deploymentImage(east!, "dr-watch", "watch-api")).toBe(`${IMAGE}:1.0.1`);
    expect(await deploymentImage(east!, "dr-fix", "fix-api")).toBe(`${IMAGE}:1.0.1`);
  });
});

// A chart whose Deployment keeps `replicas` even when the values switch the autoscaler on.
const chart = {
  "Chart.yaml": "apiVersion: v2\nname: plain\nversion: 0.1.0\n",
  "values.yaml": "replicas: 2\nimage: registry.example.com/test/plain:1\ntraits:\n  autoscaler:\n    enabled: false\n",
  "templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: { app: {{ .Release.Name }} }
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec:
      containers:
        - name: main
          image: {{ .Values.image }}
          resources: { requests: { cpu: "0.1", memory: 64Mi } }
`,
};

describe("drift on a Helm 3 release of a hand-written chart", () => {
  const NS = "dr-helm3";
  let dir: string;
  const helm3 = (...args: string[]) => execa(binaries.helm3, [...args, "--kubeconfig", east!.kubeconfig, "--namespace", NS]);
  const spec = (name: string) => ({ name, namespace: NS, application: "plain", workloadKind: "Deployment" }) as ReleaseSpec;
  const target = () => ({ name: east!.name, paused: false, kube: createKube({ cluster: east!.name, kubeconfigPath: east!.kubeconfig }) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-plain-chart-"));
    for (const [f, text] of Object.entries(chart)) {
      await mkdir(join(dir, f, ".."), { recursive: true });
      await writeFile(join(dir, f), text);
    }
    await helm3("install", "scaled", dir, "--create-namespace", "--set", "traits.autoscaler.enabled=true", "--wait");
    await helm3("install", "fixed", dir, "--wait");
  });

  it("replicas the values give to an autoscaler are not drift; elsewhere they are, and correct restores them", async () => {
    await tamper(NS, "scaled", { spec: { replicas: 4 } });
    await tamper(NS, "fixed", { spec: { replicas: 4 } });
    const reports = await checkDrift(target(), [spec("scaled"), spec("fixed")], () => "report", { log });
    expect(reports.map((r) => [r.release, r.count, paths(r)])).toEqual([
      ["scaled", 0, []],
      ["fixed", 1, ["Deployment/fixed: spec.replicas"]],
    ]);

    const corrected = await checkDrift(target(), [spec("fixed")], () => "correct", { log, helmBinary: binaries.helm3 });
    expect(corrected[0]).toMatchObject({ count: 1, corrected: "succeeded" });
    expect((await apps1().readNamespacedDeployment({ name: "fixed", namespace: NS })).spec?.replicas).toBe(2);
    // helm 3 upgrades the corrected release as before
    await helm3("upgrade", "fixed", dir, "--set", "image=registry.example.com/test/plain:2", "--wait");
    expect(await deploymentImage(east!, NS, "fixed")).toBe("registry.example.com/test/plain:2");
    expect((await checkDrift(target(), [spec("fixed")], () => "report", { log }))[0]!.count).toBe(0);
  });
});
