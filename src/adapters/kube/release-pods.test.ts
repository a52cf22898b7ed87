import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { podOwnersOf, podStatusText, releasePods, selectorString, summarizePod, type PodLike } from "./release-pods.ts";

describe("selectorString", () => {
  it.each([
    ["matchLabels", { matchLabels: { app: "api", tier: "web" } }, "app=api,tier=web"],
    [
      "every operator",
      { matchExpressions: [{ key: "env", operator: "In", values: ["prod", "dev"] }, { key: "canary", operator: "NotIn", values: ["yes"] }, { key: "team", operator: "Exists" }, { key: "legacy", operator: "DoesNotExist" }] },
      "env in (dev,prod),canary notin (yes),team,!legacy",
    ],
    ["both", { matchLabels: { app: "api" }, matchExpressions: [{ key: "track", operator: "In", values: ["stable"] }] }, "app=api,track in (stable)"],
    ["none", undefined, ""],
  ])("%s", (_n, sel, want) => {
    expect(selectorString(sel)).toBe(want);
  });
});

const running = (name: string, o: { ready?: boolean; restarts?: number; image?: string } = {}) => ({
  name,
  image: o.image ?? `registry.example.com/${name}:1`,
  ready: o.ready ?? true,
  restartCount: o.restarts ?? 0,
  state: { running: { startedAt: "2024-05-01T00:00:00Z" } },
});

describe("podStatusText (kubectl's STATUS column)", () => {
  it.each<[string, PodLike, string]>([
    ["running and ready", { status: { phase: "Running", containerStatuses: [running("api")] } }, "Running"],
    ["crash looping", { status: { phase: "Running", containerStatuses: [{ name: "api", state: { waiting: { reason: "CrashLoopBackOff" } } }] } }, "CrashLoopBackOff"],
    ["a Job's finished pod", { status: { phase: "Succeeded", containerStatuses: [{ name: "job", state: { terminated: { reason: "Completed", exitCode: 0 } } }] } }, "Completed"],
    ["a container that failed", { status: { phase: "Failed", containerStatuses: [{ name: "job", state: { terminated: { exitCode: 2 } } }] } }, "ExitCode:2"],
    [
      "an init container still running",
      { spec: { initContainers: [{ name: "migrate" }, { name: "warm" }] }, status: { phase: "Pending", initContainerStatuses: [{ name: "migrate", state: { terminated: { exitCode: 0 } } }, { name: "warm", state: { running: {} } }] } },
      "Init:1/2",
    ],
    ["an init container crash looping", { spec: { initContainers: [{ name: "migrate" }] }, status: { phase: "Pending", initContainerStatuses: [{ name: "migrate", state: { waiting: { reason: "CrashLoopBackOff" } } }] } }, "Init:CrashLoopBackOff"],
    ["being deleted", { metadata: { deletionTimestamp: "2024-05-01T00:00:00Z" }, status: { phase: "Running", containerStatuses: [running("api")] } }, "Terminating"],
    ["evicted", { status: { phase: "Failed", reason: "Evicted" } }, "Evicted"],
  ])("%s", (_n, pod, want) => {
    expect(podStatusText(pod)).toBe(want);
  });
});

describe("summarizePod", () => {
  it("says what the release view shows of a pod: phase, status, ready x/y, restarts of all containers, node, images, age, owner, default container", () => {
    const pod: PodLike = {
      metadata: {
        name: "shop-api-7d9-abcde",
        namespace: "shop",
        creationTimestamp: new Date("2024-05-01T10:00:00Z"),
        ownerReferences: [{ kind: "ReplicaSet", name: "shop-api-7d9", uid: "rs1", controller: true }],
        annotations: { "kubectl.kubernetes.io/default-container": "api" },
      },
      spec: { nodeName: "node-1", initContainers: [{ name: "migrate", image: "m:1" }], containers: [{ name: "proxy", image: "envoy:1" }, { name: "api", image: "api:2" }] },
      status: {
        phase: "Running",
        initContainerStatuses: [{ name: "migrate", image: "m:1", ready: false, restartCount: 1, state: { terminated: { reason: "Completed", exitCode: 0 } } }],
        containerStatuses: [
          running("proxy", { image: "envoy:1" }),
          { name: "api", image: "api:2", ready: false, restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { reason: "Error", exitCode: 1 } } },
        ],
      },
    };
    expect(summarizePod(pod, { kind: "Deployment", name: "shop-api" })).toEqual({
      name: "shop-api-7d9-abcde",
      namespace: "shop",
      phase: "Running",
      status: "CrashLoopBackOff",
      ready: "1/2",
      restarts: 4,
      node: "node-1",
      images: ["envoy:1", "api:2"],
      createdAt: "2024-05-01T10:00:00.000Z",
      owner: { kind: "ReplicaSet", name: "shop-api-7d9" },
      workload: { kind: "Deployment", name: "shop-api" },
      defaultContainer: "api",
      containers: [
        { name: "migrate", image: "m:1", init: true, ready: false, restarts: 1, state: "terminated (Completed, exit code 0)" },
        { name: "proxy", image: "envoy:1", ready: true, restarts: 0, state: "running" },
        { name: "api", image: "api:2", ready: false, restarts: 3, state: "waiting (CrashLoopBackOff)", lastTerminated: "Error, exit code 1" },
      ],
    });
  });

  it("a pod not scheduled yet has no node and no statuses: its containers come from its spec; the default container is the first", () => {
    const s = summarizePod({ metadata: { name: "p", namespace: "ns" }, spec: { containers: [{ name: "a", image: "a:1" }, { name: "b", image: "b:1" }] }, status: { phase: "Pending" } }, { kind: "Pod", name: "p" });
    expect(s).toMatchObject({ phase: "Pending", status: "Pending", ready: "0/2", restarts: 0, images: ["a:1", "b:1"], defaultContainer: "a" });
    expect(s.node).toBeUndefined();
    expect(s.owner).toBeUndefined();
  });
});

describe("podOwnersOf", () => {
  it("keeps the built-in workloads and bare Pods of a manifest, in its order, with the release's namespace where none is given", () => {
    expect(
      podOwnersOf(
        [
          { apiVersion: "v1", kind: "Service", namespace: "shop", name: "api" },
          { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "api" },
          { apiVersion: "example.com/v1", kind: "Deployment", namespace: "shop", name: "custom" },
          { apiVersion: "batch/v1", kind: "CronJob", namespace: "shop", name: "nightly" },
          { apiVersion: "v1", kind: "Pod", name: "debug" },
        ],
        "shop",
      ),
    ).toEqual([
      { kind: "Deployment", namespace: "shop", name: "api" },
      { kind: "CronJob", namespace: "shop", name: "nightly" },
      { kind: "Pod", namespace: "shop", name: "debug" },
    ]);
  });
});

// One namespace as the API server holds it: objects with uids and controller references; lists honour nothing but the namespace.
function fakeCluster() {
  const meta = (kind: string, name: string, uid: string, owner?: { kind: string; name: string; uid: string }) => ({
    name,
    namespace: "shop",
    uid,
    ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}),
    creationTimestamp: "2024-05-01T00:00:00Z",
    _kind: kind,
  });
  const pod = (name: string, uid: string, owner: { kind: string; name: string; uid: string }) => ({
    metadata: meta("Pod", name, uid, owner),
    spec: { nodeName: "n1", containers: [{ name: "c", image: "i:1" }] },
    status: { phase: "Running", containerStatuses: [running("c", { image: "i:1" })] },
  });
  const deploy = { metadata: meta("Deployment", "api", "d1"), spec: { selector: { matchLabels: { app: "api" } } } };
  const sts = { metadata: meta("StatefulSet", "db", "s1"), spec: { selector: { matchLabels: { app: "db" } } } };
  const cron = { metadata: meta("CronJob", "nightly", "c1"), spec: {} };
  const sets = [
    { metadata: meta("ReplicaSet", "api-new", "rs2", { kind: "Deployment", name: "api", uid: "d1" }) },
    { metadata: meta("ReplicaSet", "api-old", "rs1", { kind: "Deployment", name: "api", uid: "d1" }) },
    // the same labels, another Deployment's: its pods are not the release's
    { metadata: meta("ReplicaSet", "api-canary", "rs9", { kind: "Deployment", name: "api-canary", uid: "d9" }) },
  ];
  const jobs = [{ metadata: meta("Job", "nightly-1", "j1", { kind: "CronJob", name: "nightly", uid: "c1" }) }, { metadata: meta("Job", "other", "j9") }];
  const pods = [
    pod("api-new-a", "p1", { kind: "ReplicaSet", name: "api-new", uid: "rs2" }),
    pod("api-old-b", "p2", { kind: "ReplicaSet", name: "api-old", uid: "rs1" }),
    pod("api-canary-c", "p3", { kind: "ReplicaSet", name: "api-canary", uid: "rs9" }),
    pod("db-0", "p4", { kind: "StatefulSet", name: "db", uid: "s1" }),
    pod("nightly-1-x", "p5", { kind: "Job", name: "nightly-1", uid: "j1" }),
  ];
  const selectors: string[] = [];
  const read = (o: unknown) => async ({ name }: { name: string }) => {
    if (!o || (o as { metadata: { name: string } }).metadata.name !== name) throw Object.assign(new Error("NotFound"), { code: 404 });
    return o;
  };
  const apps = {
    readNamespacedDeployment: read(deploy),
    readNamespacedStatefulSet: read(sts),
    listNamespacedReplicaSet: async (a: { labelSelector?: string }) => (selectors.push(`ReplicaSet ${a.labelSelector}`), { items: sets }),
  } as unknown as k8s.AppsV1Api;
  const batch = { readNamespacedCronJob: read(cron), listNamespacedJob: async () => ({ items: jobs }) } as unknown as k8s.BatchV1Api;
  const core = { listNamespacedPod: async (a: { labelSelector?: string }) => (selectors.push(`Pod ${a.labelSelector}`), { items: pods }) } as unknown as k8s.CoreV1Api;
  return { reader: releasePods({ core, apps, batch, call: makeCall("east", 1_000) }), selectors };
}

describe("releasePods", () => {
  it("finds each workload's pods by its selector and keeps only those whose controller chain leads to it by uid", async () => {
    const { reader, selectors } = fakeCluster();
    const got = await reader.workloadPods([
      { kind: "Deployment", namespace: "shop", name: "api" },
      { kind: "StatefulSet", namespace: "shop", name: "db" },
      { kind: "CronJob", namespace: "shop", name: "nightly" },
      { kind: "Deployment", namespace: "shop", name: "gone" },
    ]);
    expect(got.pods.map((p) => [p.name, p.workload.kind, p.owner?.name])).toEqual([
      ["api-new-a", "Deployment", "api-new"],
      ["api-old-b", "Deployment", "api-old"],
      ["db-0", "StatefulSet", "db"],
      ["nightly-1-x", "CronJob", "nightly-1"],
    ]);
    expect(got.controllers).toEqual([
      { apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "shop", name: "api-new" },
      { apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "shop", name: "api-old" },
      { apiVersion: "batch/v1", kind: "Job", namespace: "shop", name: "nightly-1" },
    ]);
    expect(selectors.sort()).toEqual(["Pod app=api", "Pod app=db", "Pod batch.kubernetes.io/controller-uid in (j1)", "ReplicaSet app=api"]);
  });
});
