// A release as a person inspects it through berth, on a real cluster: berth
// installs an application from a real git remote with the real helm, then
// reads the release's objects with their readiness, its pods (kwok makes them
// Ready), their events and logs (kwok serves the lines of kwok-logs.ts), and
// restarts it. A Deployment someone made by hand with the release's very labels
// is not the release's: its pods are not listed and their logs are refused. A
// Project's identity reads only what its Role allows, and a restart as that
// identity is refused by the API server. A node the API server cannot reach
// gives no logs, and berth says so.
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createKube, type KubeClient } from "../../src/adapters/kube.ts";
import type { ReleaseProject } from "../../src/model/types.ts";
import { followPodLogs, podLogs, releaseEvents, releaseObjects, releasePods, restartRelease, type InspectTarget } from "../../src/reconcile/inspect.ts";
import type { ActionRecord } from "../../src/reconcile/memo.ts";
import { KWOK_LOG_LINES, KWOK_PREVIOUS_LOG_LINES } from "../cluster/kwok-logs.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const log = pino({ level: process.env.BERTH_TEST_LOG ?? "silent" });
const NS = "insp";
const REL = { name: "insp-api", namespace: NS, application: "insp" };
const SA = `system:serviceaccount:${NS}:insp-viewer`;
const project: ReleaseProject = { name: "insp", namespaces: [NS], clusterScoped: [], impersonate: { user: SA, groups: [] } };

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: insp }
spec:
  namespace: ${NS}
  components:
    - { name: api, component: insp-api, version: "^1.0.0" }
`;

let repo: GitFixture;
let cache: string;
let kube: KubeClient;
let target: InspectTarget;
const src = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache];
const k = () => kubeFor(east!);

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const replicaSetsOf = async (deployment: string) =>
  (await k().apps.listNamespacedReplicaSet({ namespace: NS })).items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.kind === "Deployment" && o.name === deployment));

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, { ...clusterFiles([east!]), "components/api.yaml": webComponent("insp-api", "1.0.0"), "apps/insp.yaml": app }, { message: "one application" });
  const r = await berth(["reconcile", "--once", ...src(), "--helm-timeout", "60"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
  kube = createKube({ cluster: east!.name, kubeconfigPath: east!.kubeconfig, context: east!.name });
  target = {
    name: east!.name,
    paused: false,
    kube,
    as: (who) => ({ kube: createKube({ cluster: east!.name, kubeconfigPath: east!.kubeconfig, context: east!.name, impersonate: who }), helm: undefined as never }),
  };

  // Someone's own Deployment beside the release, with the release Deployment's very labels.
  const live = await k().apps.readNamespacedDeployment({ name: "insp-api", namespace: NS });
  const labels = live.spec!.selector.matchLabels!;
  await k().apps.createNamespacedDeployment({
    namespace: NS,
    body: {
      metadata: { name: "impostor" },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: "insp-api", image: "registry.example.com/test/impostor:1" }] } } },
    },
  });
  await until("the impostor's pod", async () => ((await k().core.listNamespacedPod({ namespace: NS })).items.some((p) => p.metadata?.name?.startsWith("impostor-")) ? true : undefined));

  // A Project's identity that may read the release, and neither read logs nor change anything.
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(east!.kubeconfig);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  await k().core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: "insp-viewer" } } });
  const read = ["get", "list", "watch"];
  await rbac.createNamespacedRole({
    namespace: NS,
    body: {
      metadata: { name: "insp-viewer" },
      rules: [
        { apiGroups: [""], resources: ["secrets", "configmaps", "services", "serviceaccounts", "pods", "events"], verbs: read },
        { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets", "daemonsets"], verbs: read },
        { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: read },
        { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: read },
        { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies", "ingresses"], verbs: read },
        { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: read },
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: NS,
    body: {
      metadata: { name: "insp-viewer" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "insp-viewer" },
      subjects: [{ kind: "ServiceAccount", name: "insp-viewer", namespace: NS }],
    },
  });
});

afterAll(async () => {
  await k().core.deleteNamespace({ name: NS }).catch(() => undefined);
  await removeRepo(repo);
});

describe("a release's objects, pods and events", () => {
  it("objects: every object of the deployed manifest with its live state; the Deployment ready with its replicas", async () => {
    const got = await releaseObjects(target, REL);
    expect(got).toMatchObject({ cluster: "east", release: "insp-api", namespace: NS, revision: 1 });
    const byKind = Object.fromEntries(got.objects.map((o) => [`${o.kind}/${o.name}`, o]));
    expect(byKind["Deployment/insp-api"]).toMatchObject({ apiVersion: "apps/v1", namespace: NS, state: "ready", message: "1/1 available", createdAt: expect.any(String) });
    expect(byKind["Service/insp-api"]).toMatchObject({ state: "exists", message: expect.stringMatching(/^ClusterIP 10\.96\./) });
    expect(got.objects.every((o) => o.state === "ready" || o.state === "exists")).toBe(true);
  });

  it("pods: the Deployment's pod, Running and Ready on the kwok node, owned through its ReplicaSet; the impostor's pod is not the release's", async () => {
    const got = await releasePods(target, REL);
    expect(got.pods).toHaveLength(1);
    const [pod] = got.pods;
    expect(pod).toMatchObject({
      namespace: NS,
      phase: "Running",
      status: "Running",
      ready: "1/1",
      restarts: 0,
      node: "kwok-node-0",
      images: ["registry.example.com/test/insp-api:1.0.0"],
      workload: { kind: "Deployment", name: "insp-api" },
      defaultContainer: "insp-api",
      createdAt: expect.any(String),
    });
    expect(pod!.owner!.kind).toBe("ReplicaSet");
    expect(pod!.name.startsWith(`${pod!.owner!.name}-`)).toBe(true);
    expect(pod!.owner!.name.startsWith("insp-api-")).toBe(true);
  });

  it("events: of the Deployment, its ReplicaSet and its pod, newest first; none of the impostor's", async () => {
    const got = await releaseEvents(target, REL, { limit: 50 });
    const seen = got.events.map((e) => `${e.object.kind} ${e.reason}`);
    expect(seen).toEqual(expect.arrayContaining(["Deployment ScalingReplicaSet", "ReplicaSet SuccessfulCreate", "Pod Scheduled"]));
    expect(got.events.some((e) => e.object.name.startsWith("impostor"))).toBe(false);
    const times = got.events.map((e) => e.lastTime!);
    expect(times).toEqual([...times].sort().reverse());
    const limited = await releaseEvents(target, REL, { limit: 1 });
    expect(limited.events).toEqual([got.events[0]]);
    expect(limited.truncated).toBe(true);
  });
});

describe("logs", () => {
  const lines = (l: readonly string[]) => l.map((line) => `${line}\n`).join("");
  const releasePod = async () => (await releasePods(target, REL)).pods[0]!.name;

  it("a kwok pod's logs are read: its lines, the last ones with tail, cut at limitBytes, and kwok's previous run's", async () => {
    const name = await releasePod();
    expect(await podLogs(target, REL, { pod: name })).toMatchObject({ cluster: "east", release: "insp-api", pod: name, container: "insp-api", previous: false, text: lines(KWOK_LOG_LINES), truncated: false });
    expect((await podLogs(target, REL, { pod: name, tail: 2 })).text).toBe(lines(KWOK_LOG_LINES.slice(-2)));
    expect(await podLogs(target, REL, { pod: name, limitBytes: 30 })).toMatchObject({ text: lines(KWOK_LOG_LINES).slice(0, 30), truncated: true });
    // kwok gives a previous run's log for every container, restarted or not
    expect(await podLogs(target, REL, { pod: name, previous: true })).toMatchObject({ previous: true, text: lines(KWOK_PREVIOUS_LOG_LINES) });
  });

  it("a follow yields the lines, stays open after them, and ends when aborted; one bounded by maxMs ends by itself", async () => {
    const name = await releasePod();
    const abort = new AbortController();
    const stream = await followPodLogs(target, REL, { pod: name, signal: abort.signal });
    expect(stream).toMatchObject({ pod: name, container: "insp-api", previous: false });
    const chunks = stream.chunks[Symbol.asyncIterator]();
    let text = "";
    while (text.length < lines(KWOK_LOG_LINES).length) {
      const next = await chunks.next();
      if (next.done) break;
      text += next.value;
    }
    expect(text).toBe(lines(KWOK_LOG_LINES));
    const after = chunks.next();
    expect(await Promise.race([after.then(() => "ended"), new Promise((r) => setTimeout(() => r("open"), 1_000))])).toBe("open");
    abort.abort();
    expect(await after).toEqual({ done: true, value: undefined });

    const bounded = await followPodLogs(target, REL, { pod: name, tail: 1, maxMs: 1_000, signal: new AbortController().signal });
    let last = "";
    for await (const chunk of bounded.chunks) last += chunk;
    expect(last).toBe(lines(KWOK_LOG_LINES.slice(-1)));
  });

  describe("a node the API server cannot reach", () => {
    // A node no kwok manages, its kubelet port closed, and a pod bound to it: the API server's
    // dial fails. Tainted and unschedulable, so no other test's pod lands there.
    const node = "insp-unreachable";
    const req = { namespace: NS, pod: "stranded", container: "main", node };

    beforeAll(async () => {
      await k().core.createNode({
        body: {
          metadata: { name: node },
          spec: { unschedulable: true, taints: [{ key: "berth.dev/unreachable", effect: "NoSchedule" }] },
          status: { addresses: [{ type: "InternalIP", address: "127.0.0.1" }], daemonEndpoints: { kubeletEndpoint: { Port: 1 } } },
        },
      });
      await k().core.createNamespacedPod({ namespace: NS, body: { metadata: { name: "stranded" }, spec: { nodeName: node, containers: [{ name: "main", image: "registry.example.com/test/stranded:1" }] } } });
    });

    afterAll(async () => {
      // no kubelet will confirm a graceful deletion there
      await k().core.deleteNamespacedPod({ name: "stranded", namespace: NS, gracePeriodSeconds: 0 }).catch(() => undefined);
      await k().core.deleteNode({ name: node }).catch(() => undefined);
    });

    it("the read and the follow fail saying the node cannot give them, in the API server's words", async () => {
      const cannot = `cluster east: logs of container main of pod ${NS}/stranded: the node ${node} cannot give them (the API server could not get them from its kubelet): `;
      await expect(kube.readPodLog(req)).rejects.toThrow(`${cannot}Get "https://127.0.0.1:1/containerLogs/${NS}/stranded/main": dial tcp 127.0.0.1:1: connect: connection refused`);
      // a follow fails the same way before any text (its first read asks for no lines)
      await expect(kube.followPodLog({ ...req, signal: new AbortController().signal })).rejects.toThrow(
        `${cannot}Get "https://127.0.0.1:1/containerLogs/${NS}/stranded/main?tailLines=0": dial tcp 127.0.0.1:1: connect: connection refused`,
      );
    });
  });

  it("a pod outside the release is refused before any node is asked: the impostor's, with the release's labels, and another namespace's", async () => {
    const impostor = (await k().core.listNamespacedPod({ namespace: NS })).items.find((p) => p.metadata?.name?.startsWith("impostor-"))!.metadata!.name!;
    const [pod] = (await releasePods(target, REL)).pods;
    await expect(podLogs(target, REL, { pod: impostor })).rejects.toThrow(`pod ${impostor} is not one of release ${NS}/insp-api's pods on cluster east; its pods are ${pod!.name}`);
    await expect(followPodLogs(target, REL, { pod: "kube-apiserver", signal: new AbortController().signal })).rejects.toThrow(`pod kube-apiserver is not one of release ${NS}/insp-api's pods`);
    await expect(podLogs(target, REL, { pod: pod!.name, container: "sidecar" })).rejects.toThrow(`pod ${NS}/${pod!.name} on cluster east has no container sidecar; it has insp-api`);
  });
});

describe("as a Project's identity", () => {
  const asProject = { ...REL, project };

  it("reads what its Role allows, and the API server refuses it the logs", async () => {
    const objects = await releaseObjects(target, asProject);
    expect(objects.objects.find((o) => o.kind === "Deployment")).toMatchObject({ state: "ready" });
    const [pod] = (await releasePods(target, asProject)).pods;
    await expect(podLogs(target, asProject, { pod: pod!.name })).rejects.toThrow(
      `cluster east: release ${NS}/insp-api: logs of container insp-api of pod ${NS}/${pod!.name}: pods "${pod!.name}" is forbidden: User "${SA}" cannot get resource "pods/log" in API group "" in the namespace "${NS}"`,
    );
  });

  it("a restart as that identity is refused by the API server, and recorded as failed with who asked", async () => {
    const before = (await k().apps.readNamespacedDeployment({ name: "insp-api", namespace: NS })).spec?.template.metadata?.annotations ?? {};
    const record = await restartRelease(target, asProject, { commit: "c0ffee", log, actor: { name: "viewer-bot", role: "operator" } });
    expect(record).toMatchObject({ action: "restart", result: "failed", restarted: [], actor: { name: "viewer-bot", role: "operator" } });
    expect(record.error).toBe(
      `Deployment/insp-api: cluster east: restart Deployment ${NS}/insp-api: deployments.apps "insp-api" is forbidden: User "${SA}" cannot patch resource "deployments" in API group "apps" in the namespace "${NS}"`,
    );
    const after = (await k().apps.readNamespacedDeployment({ name: "insp-api", namespace: NS })).spec?.template.metadata?.annotations ?? {};
    expect(after).toEqual(before);
  });
});

describe("restart", () => {
  it("stamps the Deployment's pod template as kubectl does, under berth-restart; a new ReplicaSet rolls the pod; the history records it with who asked; drift sees nothing", async () => {
    const before = (await replicaSetsOf("insp-api")).map((rs) => rs.metadata!.name!);
    expect(before).toHaveLength(1);
    const actor = { name: "shop-oncall", role: "operator" as const };
    const record = await restartRelease(target, REL, { commit: "c0ffee", log, actor });
    expect(record).toMatchObject({ action: "restart", result: "succeeded", restarted: ["Deployment/insp-api"], helmRevision: 1, actor, cluster: "east", release: "insp-api", namespace: NS, application: "insp" });

    const d = await k().apps.readNamespacedDeployment({ name: "insp-api", namespace: NS });
    const stamped = d.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"];
    expect(stamped).toBe(record.at.replace(/\.\d{3}Z$/, "Z"));
    expect(d.metadata?.managedFields?.some((f) => f.manager === "berth-restart")).toBe(true);

    const sets = await until("a second ReplicaSet", async () => {
      const now = await replicaSetsOf("insp-api");
      return now.length === 2 ? now : undefined;
    });
    const fresh = sets.find((rs) => !before.includes(rs.metadata!.name!))!;
    expect(fresh.spec?.template?.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBe(stamped);
    const pods = await until("the new pod, alone", async () => {
      const p = (await releasePods(target, REL)).pods;
      return p.length === 1 && p[0]!.owner?.name === fresh.metadata!.name && p[0]!.ready === "1/1" ? p : undefined;
    });
    expect(pods[0]!.workload).toEqual({ kind: "Deployment", name: "insp-api" });
    await until("the Deployment ready again", async () => ((await releaseObjects(target, REL)).objects.find((o) => o.kind === "Deployment")?.state === "ready" ? true : undefined));

    const history = await berth(["history", "insp-api", "--cluster", "east", ...src(), "--output", "json"]);
    expect(history.code).toBe(0);
    const records = JSON.parse(history.out) as ActionRecord[];
    expect(records.map((r) => [r.action, r.result, r.actor?.name])).toEqual([
      ["install", "succeeded", undefined],
      ["restart", "failed", "viewer-bot"],
      ["restart", "succeeded", "shop-oncall"],
    ]);
    expect(records.at(-1)).toEqual(record);

    const drift = await berth(["drift", ...src(), "--output", "json"]);
    expect(drift.err).toBe("");
    const reports = (JSON.parse(drift.out) as { reports: Array<{ release: string; count: number; error?: string }> }).reports;
    expect(reports.find((r) => r.release === "insp-api")).toMatchObject({ count: 0 });
    expect(drift.code).toBe(0);
  });

  it("one workload by name; one the release does not have is refused and nothing changes", async () => {
    const record = await restartRelease(target, REL, { commit: "c0ffee", log, workload: "Deployment/insp-api" });
    expect(record).toMatchObject({ result: "succeeded", restarted: ["Deployment/insp-api"] });
    await expect(restartRelease(target, REL, { commit: "c0ffee", log, workload: "impostor" })).rejects.toThrow(`release ${NS}/insp-api has no workload impostor to restart; it has Deployment/insp-api`);
    const impostor = await k().apps.readNamespacedDeployment({ name: "impostor", namespace: NS });
    expect(impostor.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBeUndefined();
  });
});
