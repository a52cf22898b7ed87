import { describe, expect, it } from "vitest";
import { pino } from "pino";
import type { KubeClient } from "../adapters/kube.ts";
import type { ReleaseSpec } from "../model/types.ts";
import type { ActingAs } from "./context.ts";
import { checkDrift, driftPolicyOf, type DriftPolicy } from "./drift-check.ts";
import { readBook } from "./memo.ts";

const manifest = `---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
  labels: { app: api }
spec:
  replicas: 2
  template:
    spec:
      containers: [{ name: api, image: "x:1" }]
`;

// Who changed it, as the API server records it in managedFields.
const SET_AT = "2024-05-02T09:30:00Z";
const managedFields = [
  { manager: "helm", operation: "Apply", time: "2024-05-01T10:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:labels": { "f:app": {} } }, "f:spec": { "f:replicas": {} } } },
  { manager: "kubectl-set", operation: "Update", time: SET_AT, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:image": {} } } } } } } },
];

// A cluster of one Deployment whose image someone changed to x:2 with kubectl set image.
function fakeKube() {
  const applied: Array<{ obj: Record<string, unknown>; fieldManager: string; force: boolean }> = [];
  const memos = new Map<string, Record<string, string>>();
  let image = "x:2";
  const kube: Partial<KubeClient> = {
    cluster: "east",
    async ping() {},
    async readManifest() {
      return { revision: 3, manifest, config: {} };
    },
    async getObject(_a, kind, ns, name) {
      if (kind !== "Deployment" || ns !== "shop" || name !== "shop-api") return undefined;
      return { metadata: { name, namespace: ns, labels: { app: "api" }, uid: "u", managedFields }, spec: { replicas: 2, template: { spec: { containers: [{ name: "api", image }] } } }, status: {} };
    },
    async applyObject(obj, opts) {
      applied.push({ obj, ...opts });
      image = "x:1";
    },
    async listMemos() {
      return memos;
    },
    async writeMemo(ns, rel, data) {
      memos.set(`${ns}/${rel}`, data);
    },
  };
  return { kube: kube as KubeClient, applied, memos };
}

const release = { name: "shop-api", namespace: "shop", application: "shop", workloadKind: "Deployment" } as ReleaseSpec;
const log = pino({ level: "silent" });

describe("checkDrift", () => {
  const cases: Array<[string, DriftPolicy, boolean, { applied: number; corrected?: string; metric: number; recorded: number }]> = [
    ["report: lists the drift, changes nothing", "report", false, { applied: 0, metric: 1, recorded: 0 }],
    ["correct: re-applies and records correct-drift", "correct", false, { applied: 1, corrected: "succeeded", metric: 0, recorded: 1 }],
    ["correct on a paused cluster: reports only", "correct", true, { applied: 0, metric: 1, recorded: 0 }],
  ];
  it.each(cases)("%s", async (_n, policy, paused, want) => {
    const f = fakeKube();
    const metrics: Array<[string, string, number]> = [];
    const [report] = await checkDrift({ name: "east", paused, kube: f.kube }, [release], () => policy, {
      log,
      commit: "abc",
      helmBinary: "/opt/helm/bin/helm",
      onDrift: (c, r, n) => metrics.push([c, r, n]),
    });
    expect(report).toMatchObject({ cluster: "east", release: "shop-api", revision: 3, count: 1, policy });
    const by = { manager: "kubectl-set", operation: "Update", time: SET_AT, exact: true };
    expect(report!.drifted[0]!.fields).toEqual([{ path: "spec.template.spec.containers[0].image", expected: "x:1", live: "x:2", by }]);
    expect(report!.corrected).toBe(want.corrected);
    expect(metrics).toEqual([["east", "shop-api", want.metric]]);
    expect(f.applied.length).toBe(want.applied);
    const records = readBook(f.memos.get("shop/shop-api")).records;
    expect(records.length).toBe(want.recorded);
    if (want.applied) {
      expect(f.applied[0]).toMatchObject({ fieldManager: "helm", force: true });
      expect(f.applied[0]!.obj).toMatchObject({
        kind: "Deployment",
        metadata: { namespace: "shop", labels: { app: "api", "app.kubernetes.io/managed-by": "Helm" }, annotations: { "meta.helm.sh/release-name": "shop-api" } },
      });
      expect(records[0]).toMatchObject({ action: "correct-drift", result: "succeeded", commit: "abc", helmRevision: 3, drifted: [`Deployment/shop-api: spec.template.spec.containers[0].image (by kubectl-set Update at ${SET_AT})`] });
    }
  });

  it.each([
    ["an unreachable cluster", { ping: () => Promise.reject(new Error("no answer within 5000 ms")) }, "no answer within 5000 ms"],
    ["an unreadable release storage", { ping: async () => {}, readManifest: () => Promise.reject(new Error("forbidden")) }, "forbidden"],
  ])("reports %s instead of throwing, and leaves the metric alone", async (_name, methods, error) => {
    const kube = { cluster: "east", ...methods } as unknown as KubeClient;
    const metrics: unknown[] = [];
    const [r] = await checkDrift({ name: "east", paused: false, kube }, [release], () => "report", { log, onDrift: (...a) => metrics.push(a) });
    expect(r).toMatchObject({ count: 0, error });
    expect(metrics).toEqual([]);
  });

  it("a Project that impersonates corrects as that identity; the record stays berth's; no way to impersonate: left as found", async () => {
    const own = fakeKube();
    const acting = fakeKube();
    const who = { user: "system:serviceaccount:shop:berth-shop", groups: [] as string[] };
    const inProject = { ...release, project: { name: "shop-team", namespaces: ["shop"], clusterScoped: [], impersonate: who } } as ReleaseSpec;
    const asked: unknown[] = [];
    const as: ActingAs = (w) => (asked.push(w), { kube: acting.kube, helm: {} as never });
    const [r] = await checkDrift({ name: "east", paused: false, kube: own.kube, as }, [inProject], () => "correct", { log });
    expect(r!.corrected).toBe("succeeded");
    expect(asked).toEqual([who]);
    expect([own.applied.length, acting.applied.length]).toEqual([0, 1]);
    expect(readBook(own.memos.get("shop/shop-api")).records.map((x) => x.action)).toEqual(["correct-drift"]);

    const alone = fakeKube();
    const [left] = await checkDrift({ name: "east", paused: false, kube: alone.kube }, [inProject], () => "correct", { log });
    expect(left).toMatchObject({ corrected: "failed", error: expect.stringMatching(/Project shop-team acts as .*cannot impersonate; drift left as found/) });
    expect(alone.applied).toEqual([]);
  });

  it("takes each application's policy, default report", () => {
    const policy = driftPolicyOf({ applications: [{ metadata: { name: "a" }, spec: { drift: "correct" } }, { metadata: { name: "b" }, spec: {} }] } as never);
    expect([policy("a"), policy("b"), policy("unknown")]).toEqual(["correct", "report", "report"]);
  });
});
