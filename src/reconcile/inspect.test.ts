import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { Impersonation, KubeClient, LogRequest, ObjectRef, PodOwnerRef, RestartTarget } from "../adapters/kube.ts";
import type { FollowRequest as KubeFollow } from "../adapters/kube/pod-logs.ts";
import { restartPatch } from "../adapters/kube/restart.ts";
import { KubeError } from "../errors.ts";
import { detectDrift, parseManifest } from "./drift.ts";
import { followPodLogs, inspectedRelease, podLogs, releaseEvents, releaseObjects, releasePods, restartRelease, restartTargets, type InspectedRelease, type InspectTarget } from "./inspect.ts";
import { readBook } from "./memo.ts";

const log = pino({ level: "silent" });

const MANIFEST = `---
apiVersion: v1
kind: Secret
metadata: { name: shop-api-creds }
stringData: { password: hunter2 }
---
apiVersion: v1
kind: Service
metadata: { name: shop-api }
spec: { ports: [{ port: 80 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop-api }
spec:
  template:
    metadata: { annotations: { checksum/config: abc } }
    spec: { containers: [{ name: api, image: "api:1" }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: shop-db }
spec: { template: { spec: { containers: [{ name: db, image: "db:1" }] } } }
---
apiVersion: batch/v1
kind: Job
metadata: { name: shop-seed }
`;

const pod = (name: string, workload: { kind: PodOwnerRef["kind"]; name: string }, node = "kwok-node-0") => ({
  name,
  namespace: "shop",
  phase: "Running",
  status: "Running",
  ready: "1/1",
  restarts: 0,
  node,
  images: ["api:1"],
  workload,
  defaultContainer: "api",
  containers: [
    { name: "init", image: "busybox", init: true as const, ready: false, restarts: 0, state: "terminated (Completed, exit code 0)" },
    { name: "api", image: "api:1", ready: true, restarts: 0, state: "running" },
  ],
});

/** One identity's client on the fake cluster: every call recorded with who made it. */
function fakeCluster(o: { manifest?: string | undefined; failRestart?: string } = {}) {
  const calls: string[] = [];
  const memos = new Map<string, Record<string, string>>();
  const restarted: Array<{ by: string; t: RestartTarget; at: Date }> = [];
  const reads: Array<{ by: string; r: LogRequest }> = [];
  const follows: Array<{ by: string; r: KubeFollow }> = [];
  const manifest = "manifest" in o ? o.manifest : MANIFEST;
  const client = (by: string): KubeClient =>
    ({
      cluster: "east",
      async readManifest(ns: string, name: string) {
        calls.push(`${by} readManifest ${ns}/${name}`);
        return manifest === undefined ? undefined : { revision: 3, manifest, config: {} };
      },
      async objectStatuses(refs: readonly ObjectRef[]) {
        calls.push(`${by} objectStatuses ${refs.map((r) => `${r.kind}/${r.name}`).join(",")}`);
        return refs.map((r) => ({ ...r, state: "exists" as const }));
      },
      async workloadPods(ws: readonly PodOwnerRef[]) {
        calls.push(`${by} workloadPods ${ws.map((w) => `${w.kind}/${w.name}`).join(",")}`);
        return {
          pods: [pod("shop-api-7d9-a", { kind: "Deployment", name: "shop-api" }), pod("shop-db-0", { kind: "StatefulSet", name: "shop-db" })],
          controllers: [{ apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "shop", name: "shop-api-7d9" }],
        };
      },
      async objectEvents(ns: string, involved: ReadonlyArray<{ kind: string; name: string }>, limit: number) {
        calls.push(`${by} objectEvents ${ns} ${involved.map((r) => `${r.kind}/${r.name}`).join(",")} ${limit}`);
        const ev = (name: string, reason: string, t: string) => ({ type: "Normal", reason, message: "", count: 1, lastTime: t, object: { kind: "Pod", name } });
        return { events: [ev("shop-db-0", "Pulled", "2024-05-01T10:00:02.000Z"), ev("shop-api-7d9-a", "Started", "2024-05-01T10:00:01.000Z")].slice(0, limit), truncated: limit < 2 };
      },
      async readPodLog(r: LogRequest) {
        reads.push({ by, r });
        return "a\nb\n";
      },
      async followPodLog(r: KubeFollow) {
        follows.push({ by, r });
        return (async function* () {
          yield "a\n";
        })();
      },
      async restartWorkload(t: RestartTarget, at: Date) {
        if (o.failRestart === t.name) throw new KubeError("east", `restart ${t.kind} shop/${t.name}: deployments.apps "${t.name}" is forbidden`);
        restarted.push({ by, t, at });
      },
      async listMemos() {
        return new Map(memos);
      },
      async writeMemo(ns: string, name: string, data: Record<string, string>) {
        calls.push(`${by} writeMemo ${ns}/${name}`);
        memos.set(`${ns}/${name}`, data);
      },
    }) as unknown as KubeClient;
  const asked: Impersonation[] = [];
  const target: InspectTarget = {
    name: "east",
    paused: false,
    kube: client("berth"),
    as: (who) => {
      asked.push(who);
      return { kube: client(who.user), helm: undefined as never };
    },
  };
  return { target, calls, memos, restarted, reads, follows, asked };
}

const rel = { name: "shop-api", namespace: "shop", application: "shop" };
const sa = { user: "system:serviceaccount:shop:berth-shop", groups: [] as string[] };
const inProject: InspectedRelease = { ...rel, project: { name: "shop", namespaces: ["shop"], clusterScoped: [], impersonate: sa } };

describe("inspectedRelease", () => {
  it("takes git's application and Project only for the same release in the same namespace", () => {
    const desired = { name: "shop-api", namespace: "shop", application: "shop", project: inProject.project! };
    expect(inspectedRelease({ name: "shop-api", namespace: "shop" }, desired)).toEqual(inProject);
    expect(inspectedRelease({ name: "shop-api", namespace: "old-shop" }, desired)).toEqual({ name: "shop-api", namespace: "old-shop" });
    expect(inspectedRelease({ name: "shop-api", namespace: "shop" })).toEqual({ name: "shop-api", namespace: "shop" });
  });
});

describe("releaseObjects", () => {
  it("reads the deployed manifest and the live state of each of its objects (named, never their content), as berth", async () => {
    const c = fakeCluster();
    const got = await releaseObjects(c.target, rel);
    expect(got).toMatchObject({ cluster: "east", release: "shop-api", namespace: "shop", revision: 3 });
    expect(got.objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`)).toEqual(["Secret/shop/shop-api-creds", "Service/shop/shop-api", "Deployment/shop/shop-api", "StatefulSet/shop/shop-db", "Job/shop/shop-seed"]);
    expect(JSON.stringify(got)).not.toContain("hunter2");
    expect(c.calls).toEqual(["berth readManifest shop/shop-api", "berth objectStatuses Secret/shop-api-creds,Service/shop-api,Deployment/shop-api,StatefulSet/shop-db,Job/shop-seed"]);
  });

  it("nothing deployed: no objects and no revision", async () => {
    const got = await releaseObjects(fakeCluster({ manifest: undefined }).target, rel);
    expect(got).toEqual({ cluster: "east", release: "shop-api", namespace: "shop", objects: [] });
  });

  it("a release whose Project impersonates is read as that identity; a cluster that cannot impersonate refuses instead of reading as berth", async () => {
    const c = fakeCluster();
    await releaseObjects(c.target, inProject);
    expect(c.asked).toEqual([sa]);
    expect(c.calls.every((x) => x.startsWith("system:serviceaccount:shop:berth-shop "))).toBe(true);

    const d = fakeCluster();
    const { as: _as, ...noImpersonation } = d.target;
    await expect(releaseObjects(noImpersonation, inProject)).rejects.toThrow(
      "release shop-api belongs to Project shop, which acts as system:serviceaccount:shop:berth-shop, and berth's clients for cluster east cannot impersonate; nothing was read",
    );
    expect(d.calls).toEqual([]);
  });

  it("a cluster failure names the release", async () => {
    const c = fakeCluster();
    c.target.kube.readManifest = async () => {
      throw new KubeError("east", "read deployed release storage: no answer within 15000 ms");
    };
    await expect(releaseObjects(c.target, rel)).rejects.toThrow("cluster east: release shop/shop-api: read deployed release storage: no answer within 15000 ms");
  });
});

describe("releasePods and releaseEvents", () => {
  it("pods: of the manifest's workloads (its Deployment, StatefulSet and Job)", async () => {
    const c = fakeCluster();
    const got = await releasePods(c.target, rel);
    expect(got.pods.map((p) => p.name)).toEqual(["shop-api-7d9-a", "shop-db-0"]);
    expect(c.calls[1]).toBe("berth workloadPods Deployment/shop-api,StatefulSet/shop-db,Job/shop-seed");
  });

  it("events: of the manifest's objects, the ReplicaSets between, and the pods; newest first, bounded", async () => {
    const c = fakeCluster();
    const got = await releaseEvents(c.target, rel, { limit: 1 });
    expect(c.calls.at(-1)).toBe(
      "berth objectEvents shop Secret/shop-api-creds,Service/shop-api,Deployment/shop-api,StatefulSet/shop-db,Job/shop-seed,ReplicaSet/shop-api-7d9,Pod/shop-api-7d9-a,Pod/shop-db-0 1",
    );
    expect(got.events.map((e) => e.reason)).toEqual(["Pulled"]);
    expect(got.truncated).toBe(true);
    expect((await releaseEvents(c.target, rel)).events.map((e) => e.reason)).toEqual(["Pulled", "Started"]);
  });

  it.each([0, 1001, 2.5])("a limit of %s is refused, saying what would be right", async (limit) => {
    await expect(releaseEvents(fakeCluster().target, rel, { limit })).rejects.toThrow(`limit must be a whole number from 1 to 1000, not ${limit}`);
  });
});

describe("podLogs and followPodLogs", () => {
  it("reads only a pod of the release: any other name is refused before anything is read from a node", async () => {
    const c = fakeCluster();
    await expect(podLogs(c.target, rel, { pod: "kube-apiserver-node1" })).rejects.toThrow(
      "pod kube-apiserver-node1 is not one of release shop/shop-api's pods on cluster east; its pods are shop-api-7d9-a, shop-db-0",
    );
    await expect(followPodLogs(c.target, rel, { pod: "other-7d9-a", signal: new AbortController().signal })).rejects.toThrow("pod other-7d9-a is not one of release shop/shop-api's pods");
    expect(c.reads).toEqual([]);
    expect(c.follows).toEqual([]);
  });

  it("the default container, the default bounds, the node named for its error; an unknown container is refused", async () => {
    const c = fakeCluster();
    const got = await podLogs(c.target, rel, { pod: "shop-api-7d9-a" });
    expect(got).toEqual({ cluster: "east", release: "shop-api", namespace: "shop", revision: 3, pod: "shop-api-7d9-a", container: "api", previous: false, text: "a\nb\n", truncated: false });
    expect(c.reads[0]!.r).toEqual({ namespace: "shop", pod: "shop-api-7d9-a", container: "api", tail: 500, limitBytes: 512 * 1024, node: "kwok-node-0" });
    await podLogs(c.target, rel, { pod: "shop-api-7d9-a", container: "init", previous: true, tail: 10, limitBytes: 4, sinceSeconds: 60 });
    expect(c.reads[1]!.r).toEqual({ namespace: "shop", pod: "shop-api-7d9-a", container: "init", tail: 10, limitBytes: 4, previous: true, sinceSeconds: 60, node: "kwok-node-0" });
    expect((await podLogs(c.target, rel, { pod: "shop-api-7d9-a", limitBytes: 4 })).truncated).toBe(true);
    await expect(podLogs(c.target, rel, { pod: "shop-api-7d9-a", container: "sidecar" })).rejects.toThrow("pod shop/shop-api-7d9-a on cluster east has no container sidecar; it has init, api");
    await expect(podLogs(c.target, rel, { pod: "shop-api-7d9-a", tail: 20_000 })).rejects.toThrow("tail must be a whole number from 1 to 10000, not 20000");
  });

  it("follow: the caller's signal and the time bound go to the stream, as the Project's identity", async () => {
    const c = fakeCluster();
    const signal = new AbortController().signal;
    const s = await followPodLogs(c.target, inProject, { pod: "shop-db-0", signal });
    expect(s).toMatchObject({ pod: "shop-db-0", container: "api", previous: false });
    expect(c.follows[0]).toMatchObject({ by: sa.user, r: { pod: "shop-db-0", tail: 500, limitBytes: 16 * 1024 * 1024, maxMs: 30 * 60_000, signal } });
    const got: string[] = [];
    for await (const chunk of s.chunks) got.push(chunk);
    expect(got).toEqual(["a\n"]);
  });
});

describe("restartTargets", () => {
  const objects = parseManifest(MANIFEST, "shop").map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, namespace: o.metadata.namespace!, name: o.metadata.name }));
  it.each<[string, string | undefined, string[] | string]>([
    ["every Deployment, StatefulSet and DaemonSet", undefined, ["Deployment/shop-api", "StatefulSet/shop-db"]],
    ["one by Kind/name", "StatefulSet/shop-db", ["StatefulSet/shop-db"]],
    ["one by name", "shop-api", ["Deployment/shop-api"]],
    ["not a workload that rolls", "Job/shop-seed", "release shop/shop-api has no workload Job/shop-seed to restart; it has Deployment/shop-api, StatefulSet/shop-db"],
    ["not in the release", "other", "release shop/shop-api has no workload other to restart; it has Deployment/shop-api, StatefulSet/shop-db"],
  ])("%s", (_n, asked, want) => {
    const run = () => restartTargets(objects, "shop", asked, "shop/shop-api").map((t) => `${t.kind}/${t.name}`);
    if (typeof want === "string") expect(run).toThrow(want);
    else expect(run()).toEqual(want);
  });

  it("a name two kinds share must be given as Kind/name; a release without workloads has nothing to restart", () => {
    const both = [...objects, { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "shop", name: "shop-api" }];
    expect(() => restartTargets(both, "shop", "shop-api", "shop/shop-api")).toThrow("release shop/shop-api has several workloads named shop-api (Deployment/shop-api, DaemonSet/shop-api); name one as Kind/name");
    expect(() => restartTargets(objects.slice(0, 2), "shop", undefined, "shop/shop-api")).toThrow("release shop/shop-api has no Deployment, StatefulSet or DaemonSet to restart");
  });
});

describe("restartRelease", () => {
  const at = new Date("2024-05-02T09:30:00Z");
  const actor = { name: "shop-oncall", role: "operator" as const };

  it("stamps each workload as the Project's identity and records the restart in the release's history, with who asked, written by berth", async () => {
    const c = fakeCluster();
    const record = await restartRelease(c.target, inProject, { commit: "abc123", log, actor, now: at });
    expect(c.restarted.map((r) => [r.by, `${r.t.kind}/${r.t.name}`, r.at])).toEqual([
      [sa.user, "Deployment/shop-api", at],
      [sa.user, "StatefulSet/shop-db", at],
    ]);
    expect(record).toEqual({
      at: "2024-05-02T09:30:00.000Z",
      commit: "abc123",
      cluster: "east",
      release: "shop-api",
      namespace: "shop",
      application: "shop",
      action: "restart",
      steps: [],
      result: "succeeded",
      helmRevision: 3,
      durationMs: expect.any(Number),
      restarted: ["Deployment/shop-api", "StatefulSet/shop-db"],
      actor,
    });
    expect(c.calls.filter((x) => x.includes("writeMemo"))).toEqual(["berth writeMemo shop/shop-api"]);
    expect(readBook(c.memos.get("shop/shop-api")).records).toEqual([record]);
  });

  it("one workload that cannot be restarted: the others are, and the record says which failed and why", async () => {
    const c = fakeCluster({ failRestart: "shop-api" });
    const record = await restartRelease(c.target, rel, { commit: "abc123", log, now: at });
    expect(record).toMatchObject({ result: "failed", restarted: ["StatefulSet/shop-db"], error: 'Deployment/shop-api: cluster east: restart Deployment shop/shop-api: deployments.apps "shop-api" is forbidden' });
    expect(record.actor).toBeUndefined();
    expect(readBook(c.memos.get("shop/shop-api")).records).toHaveLength(1);
  });

  it("refused before any change: a paused cluster, nothing deployed, a workload the release does not have", async () => {
    const paused = fakeCluster();
    await expect(restartRelease({ ...paused.target, paused: true }, rel, { commit: "c", log })).rejects.toThrow("cluster east is paused: berth changes nothing on it; nothing was restarted");
    const none = fakeCluster({ manifest: undefined });
    await expect(restartRelease(none.target, rel, { commit: "c", log })).rejects.toThrow("release shop/shop-api has no deployed revision on cluster east; nothing to restart");
    const other = fakeCluster();
    await expect(restartRelease(other.target, rel, { commit: "c", log, workload: "nope" })).rejects.toThrow("release shop/shop-api has no workload nope to restart");
    for (const c of [paused, none, other]) {
      expect(c.restarted).toEqual([]);
      expect(c.memos.size).toBe(0);
    }
  });

  it("the restartedAt annotation is not drift: the manifest does not set it, and drift compares only what the manifest sets", () => {
    const [deployment] = parseManifest(MANIFEST, "shop").filter((o) => o.kind === "Deployment");
    const live = structuredClone(deployment!) as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    Object.assign(live.spec.template.metadata.annotations, restartPatch(at).spec.template.metadata.annotations);
    expect(live.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]).toBe("2024-05-02T09:30:00Z");
    expect(detectDrift({ objects: [deployment!], live: new Map([["apps/v1/Deployment/shop/shop-api", live]]), autoscalerOn: false })).toEqual([]);
  });
});
