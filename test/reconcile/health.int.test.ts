// Health from every workload of a release's manifest, whatever their names: a
// custom WorkloadDefinition whose chart renders two Deployments (neither named
// after the release) and a DaemonSet. `berth status` names the unhealthy one,
// and a dependent release waits on it.
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, kubeFor, tempCacheDir, workerComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-health";
const HUB = "hh-hub";
const jsonPatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch);

const pod = (role: string) => `
  selector: { matchLabels: { app: {{ .Release.Name }}-${role} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }}-${role} } }
    spec:
      containers:
        - name: main
          image: {{ printf "%s:%s" .Values.image.repository (toString .Values.image.tag) | quote }}`;

const trio = {
  "definitions/workloads/trio.yaml": `apiVersion: berth.dev/v1alpha1
kind: WorkloadDefinition
metadata: { name: trio }
spec:
  version: 1.0.0
  workloadKind: Deployment
  templates: [trio/deployments.yaml, trio/daemonset.yaml]
`,
  // Recreate: a hand-edited image takes the old pod away, so the Deployment is 0/1 available.
  "definitions/workloads/trio/deployments.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: { name: {{ .Release.Name }}-front }
spec:
  replicas: 1
  strategy: { type: Recreate }${pod("front")}
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: {{ .Release.Name }}-back }
spec:
  replicas: 1
  strategy: { type: Recreate }${pod("back")}
`,
  "definitions/workloads/trio/daemonset.yaml": `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: {{ .Release.Name }}-agent }
spec:${pod("agent")}
`,
};

const hub = `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: hub }
spec:
  version: 1.0.0
  workload: trio
  container:
    image: registry.example.com/test/hub
`;

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: hh }
spec:
  namespace: ${NS}
  components:
    - { name: hub, component: hub, version: "^1.0.0" }
    - { name: client, component: client, version: "^1.0.0", dependsOn: [hub] }
`;

interface Report { clusters: Array<{ cluster: string; releases: Array<{ name: string; outcome: string; reason: string }> }> }
interface Status { clusters: Array<{ name: string; releases: Array<{ name: string; health: string; healthMessage?: string }> }> }

describe("health from every workload of a release", () => {
  let repo: GitFixture;
  let cache: string;
  const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "10"];
  const reconcile = async () => {
    const r = await berth(["reconcile", "--once", ...flags(), "--output", "json"]);
    return { ...r, report: JSON.parse(r.out.trim().split("\n").at(-1)!) as Report };
  };
  const hubStatus = async () => {
    const r = await berth(["status", ...flags(), "--output", "json"]);
    expect(r.err).toBe("");
    return (JSON.parse(r.out) as Status).clusters.find((c) => c.name === east.name)!.releases.find((x) => x.name === HUB)!;
  };
  /** Sets the pod image by hand (out of band); returns the one it replaced. */
  const setImage = async (kind: "Deployment" | "DaemonSet", name: string, image: string): Promise<string> => {
    const { apps } = kubeFor(east);
    const was = kind === "Deployment" ? await apps.readNamespacedDeployment({ name, namespace: NS }) : await apps.readNamespacedDaemonSet({ name, namespace: NS });
    const body = [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: image }];
    if (kind === "Deployment") await apps.patchNamespacedDeployment({ name, namespace: NS, body }, jsonPatch);
    else await apps.patchNamespacedDaemonSet({ name, namespace: NS, body }, jsonPatch);
    return was.spec!.template.spec!.containers[0]!.image!;
  };
  let backImage = "";
  const until = async <T>(f: () => Promise<T>, ok: (t: T) => boolean, ms = 30_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const t = await f();
      if (ok(t) || Date.now() > deadline) return t;
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  beforeAll(async () => {
    repo = await createBareRepo();
    cache = await tempCacheDir();
    await commitFiles(repo, { ...clusterFiles([east]), ...trio, "components/hub.yaml": hub, "components/client-1.0.0.yaml": workerComponent("client", "1.0.0"), "apps/hh.yaml": app }, { message: "hh" });
  });
  afterAll(async () => removeRepo(repo));

  it("reads all three workloads of the custom chart: healthy once all are", async () => {
    const r = await reconcile();
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    // this test's releases only: the shared cluster holds other tests' releases too
    const mine = r.report.clusters[0]!.releases.filter((x) => x.name.startsWith("hh-"));
    expect(mine.map((x) => [x.name, x.outcome])).toEqual([[HUB, "applied"], ["hh-client", "applied"]]); // dependency order
    expect(await hubStatus()).toMatchObject({ health: "healthy", healthMessage: "3 workloads ready" });
  });

  it("names the unhealthy Deployment (not named after the release) in status, and a dependent waits on it", async () => {
    backImage = await setImage("Deployment", `${HUB}-back`, "registry.example.com/test/back-never-ready");
    const s = await until(hubStatus, (x) => x.health === "unhealthy");
    expect(s).toMatchObject({ health: "unhealthy", healthMessage: `Deployment ${NS}/${HUB}-back: 0/1 available` });
    const text = await berth(["status", ...flags()]);
    expect(text.out).toContain(`${HUB}: unhealthy: Deployment ${NS}/${HUB}-back: 0/1 available`);

    await commitFiles(repo, { "components/client-1.1.0.yaml": workerComponent("client", "1.1.0") }, { message: "client 1.1.0" });
    const r = await reconcile();
    const client = r.report.clusters[0]!.releases.find((x) => x.name === "hh-client")!;
    expect(client).toMatchObject({ outcome: "blocked", reason: `needs ${HUB}, which is not healthy: Deployment ${NS}/${HUB}-back: 0/1 available` });
  });

  it("names the DaemonSet once it is the one not ready", async () => {
    await setImage("Deployment", `${HUB}-back`, backImage);
    await setImage("DaemonSet", `${HUB}-agent`, "registry.example.com/test/agent-never-ready");
    const s = await until(hubStatus, (x) => x.healthMessage?.startsWith("DaemonSet") === true);
    expect(s).toMatchObject({ health: "unhealthy", healthMessage: `DaemonSet ${NS}/${HUB}-agent: 0/1 available` });
  });
});
