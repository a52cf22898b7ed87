import { describe, expect, it } from "vitest";
import { objectProblem, releaseHealth, workloadRefs, type HealthKind, type LiveWorkload, type WorkloadRef } from "./health-rules.ts";

const dep = (replicas: number, status: LiveWorkload["status"], generation = 1): LiveWorkload => ({ metadata: { generation }, spec: { replicas }, status: { observedGeneration: 1, ...status } });

describe("objectProblem", () => {
  it.each<[string, HealthKind, LiveWorkload | undefined, string | undefined]>([
    ["a missing object", "Deployment", undefined, "not found"],
    ["a Deployment, all available and updated", "Deployment", dep(2, { availableReplicas: 2, updatedReplicas: 2 }), undefined],
    ["a Deployment short of available", "Deployment", dep(2, { availableReplicas: 1, updatedReplicas: 2 }), "1/2 available"],
    ["a Deployment mid-rollout (old pods available)", "Deployment", dep(2, { availableReplicas: 2, updatedReplicas: 1 }), "1/2 updated"],
    ["a Deployment whose old replicas still run", "Deployment", dep(2, { replicas: 3, availableReplicas: 3, updatedReplicas: 2 }), "1 old replica pending termination"],
    ["a Deployment whose new generation is not yet observed", "Deployment", dep(1, { availableReplicas: 1, updatedReplicas: 1 }, 2), "generation 2 not yet observed (observed 1)"],
    ["a Deployment with no replicas field wants one", "Deployment", { metadata: { generation: 1 }, status: { observedGeneration: 1 } }, "0/1 available"],
    ["a Deployment scaled to zero", "Deployment", dep(0, {}), undefined],
    [
      "a Deployment past its progress deadline",
      "Deployment",
      dep(1, { availableReplicas: 0, updatedReplicas: 1, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded" }] }),
      "0/1 available (progress deadline exceeded)",
    ],
    ["a StatefulSet ready and updated", "StatefulSet", dep(3, { readyReplicas: 3, updatedReplicas: 3, currentRevision: "a", updateRevision: "a" }), undefined],
    ["a StatefulSet short of ready", "StatefulSet", dep(3, { readyReplicas: 2, updatedReplicas: 3 }), "2/3 ready"],
    ["a StatefulSet short of updated", "StatefulSet", dep(3, { readyReplicas: 3, updatedReplicas: 1 }), "1/3 updated"],
    ["a StatefulSet whose revisions differ", "StatefulSet", dep(1, { readyReplicas: 1, updatedReplicas: 1, currentRevision: "a", updateRevision: "b" }), "revision b rolling out (current a)"],
    [
      "a partitioned StatefulSet counts only the replicas above the partition",
      "StatefulSet",
      { metadata: { generation: 1 }, spec: { replicas: 3, updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } }, status: { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1, currentRevision: "a", updateRevision: "b" } },
      undefined,
    ],
    ["a StatefulSet not yet observed", "StatefulSet", dep(1, { readyReplicas: 1, updatedReplicas: 1 }, 3), "generation 3 not yet observed (observed 1)"],
    ["a DaemonSet on every node", "DaemonSet", { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, numberAvailable: 2, updatedNumberScheduled: 2 } }, undefined],
    ["a DaemonSet short of available", "DaemonSet", { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, numberAvailable: 1, updatedNumberScheduled: 2 } }, "1/2 available"],
    ["a DaemonSet short of updated", "DaemonSet", { metadata: { generation: 1 }, status: { observedGeneration: 1, desiredNumberScheduled: 2, numberAvailable: 2, updatedNumberScheduled: 1 } }, "1/2 updated"],
    ["a DaemonSet its controller has not seen", "DaemonSet", { metadata: { generation: 1 }, status: {} }, "generation 1 not yet observed (observed 0)"],
    ["a Job that succeeded", "Job", { status: { succeeded: 1, failed: 2 } }, undefined],
    ["a Job that failed for good", "Job", { status: { failed: 3, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] } }, "failed (BackoffLimitExceeded)"],
    ["a Job retrying after a failure", "Job", { status: { failed: 1 } }, "failed 1 time, retrying"],
    ["a Job running", "Job", { status: { active: 1 } as LiveWorkload["status"] }, "running"],
  ])("%s", (_, kind, live, want) => {
    expect(objectProblem(kind, live)).toBe(want);
  });
});

describe("releaseHealth", () => {
  const ref = (kind: HealthKind, name: string): WorkloadRef => ({ kind, namespace: "shop", name });
  const ok = dep(1, { availableReplicas: 1, updatedReplicas: 1 });
  it.each<[string, Array<{ ref: WorkloadRef; live: LiveWorkload | undefined }>, { healthy: boolean; message: string; scaledToZero?: boolean }]>([
    ["no workloads is healthy", [], { healthy: true, message: "no workloads" }],
    ["one healthy workload says its counts", [{ ref: ref("Deployment", "x"), live: ok }], { healthy: true, message: "Deployment shop/x: 1/1 available" }],
    ["several healthy workloads", [{ ref: ref("Deployment", "x"), live: ok }, { ref: ref("Deployment", "y"), live: ok }], { healthy: true, message: "2 workloads ready" }],
    [
      "the first unhealthy one, in manifest order, is named",
      [{ ref: ref("Deployment", "x"), live: ok }, { ref: ref("Deployment", "y"), live: dep(2, { availableReplicas: 1, updatedReplicas: 2 }) }, { ref: ref("Job", "z"), live: { status: {} } }],
      { healthy: false, message: "Deployment shop/y: 1/2 available" },
    ],
    ["a missing one", [{ ref: ref("DaemonSet", "agent"), live: undefined }], { healthy: false, message: "DaemonSet shop/agent: not found" }],
    [
      "every Deployment and StatefulSet at 0 replicas: scaled to zero, not 0/0",
      [{ ref: ref("Deployment", "x"), live: dep(0, {}) }, { ref: ref("StatefulSet", "db"), live: { spec: { replicas: 0 }, status: {} } }],
      { healthy: true, scaledToZero: true, message: "scaled to zero (Deployment shop/x, StatefulSet shop/db)" },
    ],
    ["one of two at 0 replicas is not stopped", [{ ref: ref("Deployment", "x"), live: dep(0, {}) }, { ref: ref("Deployment", "y"), live: ok }], { healthy: true, message: "2 workloads ready" }],
  ])("%s", (_, objects, want) => {
    expect(releaseHealth(objects)).toEqual(want);
  });
});

describe("workloadRefs", () => {
  it("finds the four kinds whatever their names, with the release namespace as default, in manifest order", () => {
    const manifest = `---
# Source: c/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata: { name: cfg }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: front }
---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: kube-system }
---
apiVersion: batch/v1
kind: Job
metadata: { name: seed }
---
apiVersion: v1
kind: List
items:
  - { apiVersion: apps/v1, kind: StatefulSet, metadata: { name: db } }
---
apiVersion: example.com/v1
kind: Deployment
metadata: { name: not-a-builtin }
---
`;
    expect(workloadRefs(manifest, "shop")).toEqual([
      { kind: "Deployment", namespace: "shop", name: "front" },
      { kind: "DaemonSet", namespace: "kube-system", name: "agent" },
      { kind: "Job", namespace: "shop", name: "seed" },
      { kind: "StatefulSet", namespace: "shop", name: "db" },
    ]);
  });

  it("an empty manifest has none", () => {
    expect(workloadRefs("", "shop")).toEqual([]);
  });
});
