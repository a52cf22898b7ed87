// Deploy states at a glance (issue 13 item 7): a release git suspends is left
// as it is — a new version is not applied, a hand edit is not corrected — and
// status says it is stopped and where git says so; a release scaled to zero is
// stopped too, not "healthy 0/0"; the rest read succeeded.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent, workerComponent } from "./fixture.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const NS = "rt-stopped";

let repo: GitFixture;
let cache: string;
const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "60"];
const once = () => berth(["reconcile", "--once", ...flags(), "--output", "json"]);

const app = (o: { apiSuspended?: boolean; appSuspended?: boolean; workerReplicas?: number }) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: st }
spec:
  namespace: ${NS}
${o.appSuspended ? "  suspended: true\n" : ""}  drift: correct
  components:
    - name: api
      component: st-api
      version: "^1.0.0"
${o.apiSuspended ? "      suspended: true\n" : ""}    - name: worker
      component: st-worker
      version: "^1.0.0"
${o.workerReplicas !== undefined ? `      replicas: ${o.workerReplicas}\n` : ""}`;

type Row = { name: string; state: string; stateReason: string; deployedVersion?: string; health: string };
async function states(): Promise<Record<string, Row>> {
  const r = await berth(["status", ...flags(), "--output", "json"]);
  expect(r.code).toBe(0);
  const s = JSON.parse(r.out) as { clusters: Array<{ name: string; releases: Row[] }> };
  return Object.fromEntries(s.clusters.find((c) => c.name === "east")!.releases.filter((x) => x.name.startsWith("st-")).map((x) => [x.name, x]));
}

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([east!]),
    "components/api-1.0.0.yaml": webComponent("st-api", "1.0.0"),
    "components/worker.yaml": workerComponent("st-worker", "1.0.0"),
    "apps/st.yaml": app({}),
  });
});
afterAll(async () => removeRepo(repo));

describe("deploy states", () => {
  it("installed and healthy: succeeded", async () => {
    expect((await once()).code).toBe(0);
    const s = await states();
    expect(s["st-api"]).toMatchObject({ state: "succeeded", deployedVersion: "1.0.0", health: "healthy" });
    expect(s["st-worker"]).toMatchObject({ state: "succeeded" });
  });

  it("suspended: true on an entry: a new version is not applied, a hand edit not corrected; status says stopped and where", async () => {
    await commitFiles(repo, { "components/api-1.1.0.yaml": webComponent("st-api", "1.1.0"), "apps/st.yaml": app({ apiSuspended: true }) });
    const run = await once();
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out.trim().split("\n").at(-1)!) as { clusters: Array<{ releases: Array<{ name: string; outcome: string; reason?: string }> }> };
    const api = report.clusters.flatMap((c) => c.releases).find((r) => r.name === "st-api")!;
    expect(api.outcome).toBe("unchanged");
    expect(api.reason).toMatch(/^stopped: suspended: true in git \(apps\/st\.yaml:\d+:\d+ spec\.components\[0\]\.suspended\)/);
    expect(await deploymentImage(east!, NS, "st-api")).toBe("registry.example.com/test/st-api:1.0.0");

    // someone edits it by hand: drift is reported, not corrected, even under drift: correct
    await kubeFor(east!).apps.patchNamespacedDeployment(
      { name: "st-api", namespace: NS, body: { spec: { template: { spec: { containers: [{ name: "st-api", image: "registry.example.com/test/st-api:hand" }] } } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch),
    );
    const drift = await berth(["drift", ...flags(), "--correct"]);
    expect(drift.out).toContain("st-api");
    expect(await deploymentImage(east!, NS, "st-api")).toBe("registry.example.com/test/st-api:hand");

    const s = await states();
    expect(s["st-api"]).toMatchObject({ state: "stopped", deployedVersion: "1.0.0" });
    expect(s["st-api"]!.stateReason).toMatch(/^suspended: true in git \(apps\/st\.yaml:\d+:\d+ spec\.components\[0\]\.suspended\)$/);
    expect(s["st-worker"]).toMatchObject({ state: "succeeded" });
    const text = await berth(["status", ...flags()]);
    expect(text.out).toMatch(/st-api\s+rt-stopped\s+stopped\s+1\.1\.0\s+1\.0\.0/);
    expect(text.out).toMatch(/st-api: stopped: suspended: true in git \(apps\/st\.yaml:\d+:\d+/);
  });

  it("scaled to zero: stopped, not healthy 0/0", async () => {
    await commitFiles(repo, { "apps/st.yaml": app({ apiSuspended: true, workerReplicas: 0 }) });
    expect((await once()).code).toBe(0);
    const s = await states();
    expect(s["st-worker"]).toMatchObject({ state: "stopped", health: "healthy" });
    expect(s["st-worker"]!.stateReason).toBe(`scaled to zero (Deployment ${NS}/st-worker)`);
  });

  it("lifting the suspension applies what git says (the new version, over the hand edit)", async () => {
    await commitFiles(repo, { "apps/st.yaml": app({ workerReplicas: 1 }) });
    expect((await once()).code).toBe(0);
    expect(await deploymentImage(east!, NS, "st-api")).toBe("registry.example.com/test/st-api:1.1.0");
    const s = await states();
    expect(s["st-api"]).toMatchObject({ state: "succeeded", deployedVersion: "1.1.0" });
    expect(s["st-worker"]).toMatchObject({ state: "succeeded" });
  });
});
