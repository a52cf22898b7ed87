// Who drifted it, end to end (issue 16): berth installs a release with the real
// helm from a real git remote; someone changes the Deployment's image with the
// real kubectl (`kubectl set image`, field manager kubectl-set); `berth drift`
// names kubectl-set as the image's writer, in text and JSON, with the time the
// API server recorded in managedFields; under `drift: correct` the history's
// correct-drift record names it too. Fields berth's own helm last wrote are
// not reported at all.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { defaultRenderer } from "../../src/cli/reconciler-flags.ts";
import { createReconciler } from "../../src/reconcile/loop.ts";
import type { DriftReport } from "../../src/reconcile/drift-check.ts";
import { openSource } from "../../src/reconcile/source.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const log = pino({ level: process.env.BERTH_TEST_LOG ?? "silent" });
const IMAGE = "registry.example.com/test/api";
const IMAGE_PATH = "spec.template.spec.containers[0].image";

const apps = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: fmwatch }
spec:
  namespace: fm-watch
  components:
    - { name: api, component: api, version: "^1.0.0" }
---
apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: fmfix }
spec:
  namespace: fm-fix
  drift: correct
  components:
    - { name: api, component: api, version: "^1.0.0" }
`;

let repo: GitFixture;
let cache: string;
const src = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache];
const kubectl = (...args: string[]) => execa(binaries.kubectl, ["--kubeconfig", east!.kubeconfig, ...args]);

type Run = { revision?: string; reports: DriftReport[] };
const find = (run: Run, release: string) => run.reports.find((r) => r.release === release)!;

/** The only container's name, as the chart rendered it. */
async function containerOf(namespace: string, name: string): Promise<string> {
  const d = await kubeFor(east!).apps.readNamespacedDeployment({ name, namespace });
  return d.spec!.template.spec!.containers[0]!.name;
}

/** When the API server says `manager` last wrote the Deployment (its managedFields entry), as berth reads it. */
async function managedAt(namespace: string, name: string, manager: string): Promise<string> {
  const d = await kubeFor(east!).apps.readNamespacedDeployment({ name, namespace });
  const entry = d.metadata!.managedFields!.find((e) => e.manager === manager && !e.subresource);
  expect(entry, `a managedFields entry of ${manager}`).toBeDefined();
  return new Date(entry!.time!).toISOString();
}

async function kubectlSetImage(namespace: string, name: string, image: string) {
  await kubectl("-n", namespace, "set", "image", `deployment/${name}`, `${await containerOf(namespace, name)}=${image}`);
}

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, { ...clusterFiles([east!]), "components/api-1.0.0.yaml": webComponent("api", "1.0.0"), "apps/apps.yaml": apps }, { message: "two applications" });
  const r = await berth(["reconcile", "--once", ...src(), "--helm-timeout", "60"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
});

afterAll(async () => {
  await removeRepo(repo);
});

describe("each drifted field names the field manager that last wrote it", () => {
  it("right after berth installs, nothing drifts: what helm wrote is not reported", async () => {
    const r = await berth(["drift", ...src(), "--output", "json"]);
    expect(r.err).toBe("");
    expect((JSON.parse(r.out) as Run).reports.map((x) => [x.release, x.count, x.error]).sort()).toEqual([
      ["fmfix-api", 0, undefined],
      ["fmwatch-api", 0, undefined],
    ]);
    expect(r.code).toBe(0);
  });

  it("kubectl set image: berth drift names kubectl-set for the image (text and JSON), and only the image drifts", async () => {
    await kubectlSetImage("fm-watch", "fmwatch-api", `${IMAGE}:by-kubectl`);
    const at = await managedAt("fm-watch", "fmwatch-api", "kubectl-set");

    const json = await berth(["drift", ...src(), "--output", "json"]);
    expect(json.code).toBe(3);
    const report = find(JSON.parse(json.out) as Run, "fmwatch-api");
    expect(report.count).toBe(1);
    expect(report.drifted).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        namespace: "fm-watch",
        name: "fmwatch-api",
        fields: [{ path: IMAGE_PATH, expected: `${IMAGE}:1.0.0`, live: `${IMAGE}:by-kubectl`, by: { manager: "kubectl-set", operation: "Update", time: at, exact: true } }],
      },
    ]);

    const text = await berth(["drift", ...src()]);
    expect(text.code).toBe(3);
    expect(text.out).toContain(`fmwatch-api (revision 1): 1 drifted`);
    expect(text.out).toContain(`  Deployment/fmwatch-api: ${IMAGE_PATH}: "${IMAGE}:1.0.0" -> "${IMAGE}:by-kubectl" (by kubectl-set Update at ${at})`);
  });

  it("a label someone removed is owned by no one: the latest update managedFields records is named, marked as a guess", async () => {
    const setAt = await managedAt("fm-watch", "fmwatch-api", "kubectl-set");
    await kubectl("-n", "fm-watch", "label", "deployment/fmwatch-api", "app.kubernetes.io/version-");
    const r = await berth(["drift", ...src(), "--output", "json"]);
    const fields = find(JSON.parse(r.out) as Run, "fmwatch-api").drifted[0]!.fields;
    const label = fields.find((f) => f.path === 'metadata.labels["app.kubernetes.io/version"]');
    // A manager whose write only removed fields owns nothing, and the API server keeps no entry for it:
    // kubectl-label leaves no trace, so the guess is the latest entry there is (kubectl-set's, above).
    expect(label).toMatchObject({ expected: "1.0.0", by: { manager: "kubectl-set", operation: "Update", time: setAt, exact: false } });
    expect(label!.live).toBeUndefined();
    // the image still names its writer
    expect(fields.find((f) => f.path === IMAGE_PATH)!.by).toMatchObject({ manager: "kubectl-set", exact: true });
    const text = await berth(["drift", ...src()]);
    expect(text.out).toMatch(/Deployment\/fmwatch-api: metadata\.labels\["app\.kubernetes\.io\/version"\]: "1\.0\.0" -> <absent> \(owned by no manager now; last recorded write: \S+ at \S+\)/);
  });

  it("drift: correct puts the image back and its history record names kubectl-set; then helm owns the image again", async () => {
    await kubectlSetImage("fm-fix", "fmfix-api", `${IMAGE}:by-kubectl`);
    const at = await managedAt("fm-fix", "fmfix-api", "kubectl-set");
    const source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
    try {
      const reconciler = createReconciler({ source, renderer: defaultRenderer, log, cacheDir: cache, helmBinary: binaries.helm });
      const run = await reconciler.checkDrift();
      expect(find(run, "fmfix-api")).toMatchObject({ policy: "correct", count: 1, corrected: "succeeded" });
      expect(find(run, "fmfix-api").drifted[0]!.fields[0]!.by).toEqual({ manager: "kubectl-set", operation: "Update", time: at, exact: true });
    } finally {
      await source.close();
    }
    expect(await deploymentImage(east!, "fm-fix", "fmfix-api")).toBe(`${IMAGE}:1.0.0`);

    const record = `Deployment/fmfix-api: ${IMAGE_PATH} (by kubectl-set Update at ${at})`;
    const hist = await berth(["history", "fmfix-api", "--cluster", east!.name, ...src(), "--output", "json"]);
    const records = JSON.parse(hist.out) as Array<{ action: string; result: string; drifted?: string[] }>;
    expect(records.map((x) => `${x.action}:${x.result}`)).toEqual(["install:succeeded", "correct-drift:succeeded"]);
    expect(records[1]!.drifted).toEqual([record]);
    const text = await berth(["history", "fmfix-api", "--cluster", east!.name, ...src()]);
    expect(text.out).toContain(`    drifted ${record}\n`);

    // Corrected under helm's own field manager: nothing drifts, and kubectl-set owns nothing any more.
    const after = await berth(["drift", ...src(), "--output", "json"]);
    expect(find(JSON.parse(after.out) as Run, "fmfix-api").count).toBe(0);
    const d = await kubeFor(east!).apps.readNamespacedDeployment({ name: "fmfix-api", namespace: "fm-fix" });
    expect(d.metadata!.managedFields!.map((e) => e.manager)).not.toContain("kubectl-set");
  });
});
