import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { hasReadiness, objectState, objectStatusReader, type ObjectRef } from "./release-objects.ts";

const deploy = { apiVersion: "apps/v1", kind: "Deployment" };
const gen = { metadata: { generation: 2 } };

describe("objectState", () => {
  it.each<[string, Pick<ObjectRef, "apiVersion" | "kind">, unknown, ReturnType<typeof objectState>]>([
    ["anything not found", deploy, undefined, { state: "missing", message: "not found" }],
    ["a Deployment with every replica available", deploy, { ...gen, spec: { replicas: 2 }, status: { observedGeneration: 2, availableReplicas: 2, updatedReplicas: 2, replicas: 2 } }, { state: "ready", message: "2/2 available" }],
    ["a Deployment short of replicas", deploy, { ...gen, spec: { replicas: 3 }, status: { observedGeneration: 2, availableReplicas: 1, updatedReplicas: 3 } }, { state: "progressing", message: "1/3 available" }],
    [
      "a Deployment past its progress deadline",
      deploy,
      { ...gen, spec: { replicas: 1 }, status: { observedGeneration: 2, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] } },
      { state: "failed", message: "0/1 available (progress deadline exceeded)" },
    ],
    ["a Deployment whose new generation is not observed yet", deploy, { ...gen, status: { observedGeneration: 1 } }, { state: "progressing", message: "generation 2 not yet observed (observed 1)" }],
    ["a StatefulSet with its replicas ready", { apiVersion: "apps/v1", kind: "StatefulSet" }, { ...gen, spec: { replicas: 1 }, status: { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 } }, { state: "ready", message: "1/1 ready" }],
    ["a DaemonSet short of pods", { apiVersion: "apps/v1", kind: "DaemonSet" }, { ...gen, status: { observedGeneration: 2, desiredNumberScheduled: 3, numberAvailable: 2 } }, { state: "progressing", message: "2/3 available" }],
    ["a complete Job", { apiVersion: "batch/v1", kind: "Job" }, { status: { succeeded: 1 } }, { state: "ready", message: "complete" }],
    ["a failed Job", { apiVersion: "batch/v1", kind: "Job" }, { status: { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] } }, { state: "failed", message: "failed (BackoffLimitExceeded)" }],
    ["a running Job", { apiVersion: "batch/v1", kind: "Job" }, { status: { active: 1 } }, { state: "progressing", message: "running" }],
    ["a bound claim", { apiVersion: "v1", kind: "PersistentVolumeClaim" }, { status: { phase: "Bound" } }, { state: "ready", message: "Bound" }],
    ["a pending claim", { apiVersion: "v1", kind: "PersistentVolumeClaim" }, { status: { phase: "Pending" } }, { state: "progressing", message: "Pending" }],
    ["a lost claim", { apiVersion: "v1", kind: "PersistentVolumeClaim" }, { status: { phase: "Lost" } }, { state: "failed", message: "Lost" }],
    ["a ClusterIP Service", { apiVersion: "v1", kind: "Service" }, { spec: { type: "ClusterIP", clusterIP: "10.96.0.12" } }, { state: "exists", message: "ClusterIP 10.96.0.12" }],
    ["a LoadBalancer with an address", { apiVersion: "v1", kind: "Service" }, { spec: { type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } } }, { state: "ready", message: "LoadBalancer 203.0.113.7" }],
    ["a LoadBalancer without one", { apiVersion: "v1", kind: "Service" }, { spec: { type: "LoadBalancer" }, status: { loadBalancer: {} } }, { state: "progressing", message: "LoadBalancer: no address yet" }],
    ["a ready Pod", { apiVersion: "v1", kind: "Pod" }, { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, { state: "ready", message: "Running, Ready" }],
    ["a failed Pod", { apiVersion: "v1", kind: "Pod" }, { status: { phase: "Failed" } }, { state: "failed", message: "Failed" }],
    ["a ConfigMap", { apiVersion: "v1", kind: "ConfigMap" }, { metadata: {} }, { state: "exists" }],
    ["a Secret", { apiVersion: "v1", kind: "Secret" }, { metadata: {} }, { state: "exists" }],
    ["a custom kind named Deployment", { apiVersion: "example.com/v1", kind: "Deployment" }, { status: {} }, { state: "exists" }],
  ])("%s", (_name, ref, live, want) => {
    expect(objectState(ref, live)).toEqual(want);
  });

  it("reads whole only the kinds whose status decides", () => {
    expect([deploy, { apiVersion: "v1", kind: "Service" }, { apiVersion: "v1", kind: "Secret" }, { apiVersion: "v1", kind: "ConfigMap" }, { apiVersion: "example.com/v1", kind: "Job" }].map(hasReadiness)).toEqual([true, true, false, false, false]);
  });
});

// The API server as the reader sees it: objects by `kind/name`, each request recorded with its Accept header.
function fake(live: Record<string, unknown>, failing: Record<string, Error> = {}) {
  const seen: string[] = [];
  const lookup = (kind: string, name: string) => {
    seen.push(`${kind}/${name}`);
    if (failing[`${kind}/${name}`]) throw failing[`${kind}/${name}`];
    const o = live[`${kind}/${name}`];
    if (!o) throw Object.assign(new Error("NotFound"), { code: 404 });
    return o;
  };
  let accept: string | undefined;
  const core = {
    async readNamespacedSecret({ name }: { name: string }, opts: k8s.ConfigurationOptions) {
      // what the middleware asks the API server for
      const ctx = { setHeaderParam: (k: string, v: string) => k === "Accept" && (accept = v) };
      await opts.middleware![0]!.pre(ctx as unknown as k8s.RequestContext).toPromise();
      return lookup("Secret", name);
    },
  } as unknown as k8s.CoreV1Api;
  const objects = { read: async (spec: { kind: string; metadata: { name: string } }) => lookup(spec.kind, spec.metadata.name) } as unknown as k8s.KubernetesObjectApi;
  return { reader: objectStatusReader({ core, objects, call: makeCall("east", 1_000) }), seen, accept: () => accept };
}

describe("objectStatusReader", () => {
  it("reads each object once and answers in the order asked; a Secret as metadata only, so its data never comes; one unreadable object is unknown", async () => {
    const { reader, seen, accept } = fake(
      {
        "Deployment/api": { metadata: { creationTimestamp: new Date("2024-05-01T00:00:00Z") }, spec: { replicas: 1 }, status: { availableReplicas: 1, updatedReplicas: 1, replicas: 1 } },
        "Secret/creds": { metadata: { name: "creds", creationTimestamp: "2024-05-01T00:00:00Z" }, data: { password: "aHVudGVyMg==" } },
      },
      { "Widget/w": Object.assign(new Error("widgets.example.com is forbidden"), { code: 403 }) },
    );
    const got = await reader.objectStatuses([
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "api" },
      { apiVersion: "v1", kind: "Secret", namespace: "shop", name: "creds" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "gone" },
      { apiVersion: "example.com/v1", kind: "Widget", namespace: "shop", name: "w" },
    ]);
    expect(got).toEqual([
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "api", state: "ready", message: "1/1 available", createdAt: "2024-05-01T00:00:00.000Z" },
      { apiVersion: "v1", kind: "Secret", namespace: "shop", name: "creds", state: "exists", createdAt: "2024-05-01T00:00:00.000Z" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "gone", state: "missing", message: "not found" },
      { apiVersion: "example.com/v1", kind: "Widget", namespace: "shop", name: "w", state: "unknown", message: "cluster east: read Widget shop/w: widgets.example.com is forbidden" },
    ]);
    expect(accept()).toMatch(/^application\/json;as=PartialObjectMetadata;g=meta\.k8s\.io;v=v1/);
    expect(JSON.stringify(got)).not.toContain("aHVudGVyMg");
    expect(seen.sort()).toEqual(["ConfigMap/gone", "Deployment/api", "Secret/creds", "Widget/w"]);
  });
});
