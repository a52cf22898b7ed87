import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { jobRunner, stepJob, type JobSpec } from "./jobs.ts";

// The API server as the runner sees it: Jobs by name, finished at once; creating one that exists answers 409.
function fakeApi(existing?: k8s.V1Job) {
  const jobs = new Map<string, k8s.V1Job>(existing ? [[existing.metadata!.name!, existing]] : []);
  const created: k8s.V1Job[] = [];
  const complete = { conditions: [{ type: "Complete", status: "True" }] };
  const batch = {
    async createNamespacedJob({ body }: { body: k8s.V1Job }) {
      if (jobs.has(body.metadata!.name!)) throw Object.assign(new Error("AlreadyExists"), { code: 409 });
      created.push(body);
      jobs.set(body.metadata!.name!, { ...body, status: complete });
      return body;
    },
    async readNamespacedJob({ name }: { name: string }) {
      return jobs.get(name)!;
    },
  } as unknown as k8s.BatchV1Api;
  const core = { listNamespacedPod: async () => ({ items: [] }) } as unknown as k8s.CoreV1Api;
  return { runner: jobRunner("east", core, batch, makeCall("east", 1_000)), created };
}

const spec: JobSpec = { namespace: "shop", name: "shop-api-up-2-4-0-aaaa0000-123456", image: "m:2.4.0", labels: { "berth.dev/step": "run" }, move: "aaaa0000", timeoutMs: 1_000 };
const finished = (move?: string): k8s.V1Job => ({
  metadata: { name: spec.name, namespace: "shop", labels: { "berth.dev/step": "run", ...(move ? { "berth.dev/move": move } : {}) } },
  status: { conditions: [{ type: "Complete", status: "True" }] },
});

describe("jobRunner", () => {
  it("labels the Job and its pods with the move", async () => {
    const api = fakeApi();
    expect((await api.runner.runJob(spec)).succeeded).toBe(true);
    expect(api.created[0]!.metadata!.labels).toMatchObject({ "berth.dev/move": "aaaa0000", "berth.dev/step": "run" });
    expect(api.created[0]!.spec!.template.metadata!.labels).toMatchObject({ "berth.dev/move": "aaaa0000" });
  });

  it("waits on an existing Job of the same move (a restart) without creating another", async () => {
    const api = fakeApi(finished("aaaa0000"));
    expect((await api.runner.runJob(spec)).succeeded).toBe(true);
    expect(api.created).toEqual([]);
  });

  it.each([
    ["another move", "bbbb1111", /belongs to move bbbb1111, not to move aaaa0000/],
    ["no move at all", undefined, /belongs to no berth move, not to move aaaa0000/],
  ])("refuses an existing Job of %s, saying how to clear it", async (_n, move, msg) => {
    const api = fakeApi(finished(move));
    const err = api.runner.runJob(spec);
    await expect(err).rejects.toThrow(msg);
    await expect(err).rejects.toThrow(/kubectl -n shop delete job shop-api-up-2-4-0-aaaa0000-123456/);
  });
});

describe("stepJob", () => {
  it("is admitted under Pod Security restricted by default: non-root, RuntimeDefault seccomp, no escalation, no capabilities, read-only root with /tmp, small resources", () => {
    const pod = stepJob(spec).spec!.template.spec!;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const c = pod.containers[0]!;
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
    expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
    expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: {} }]);
    expect(c.resources).toEqual({ requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "64Mi" }, limits: { memory: "512Mi", "ephemeral-storage": "1Gi" } });
    expect(c.imagePullPolicy).toBeUndefined();
  });

  it("takes the spec's securityContexts, resources and pull policy instead", () => {
    const job = stepJob({
      ...spec,
      podSecurityContext: { runAsUser: 10001 },
      securityContext: { privileged: true },
      resources: { limits: { memory: "2Gi" } },
      imagePullPolicy: "Always",
    });
    const pod = job.spec!.template.spec!;
    expect(pod.securityContext).toEqual({ runAsUser: 10001 });
    expect(pod.containers[0]).toMatchObject({ securityContext: { privileged: true }, resources: { limits: { memory: "2Gi" } }, imagePullPolicy: "Always" });
  });
});

describe("jobRunner: a step whose pod the API server refuses", () => {
  it("fails with the Job controller's message instead of waiting it out", async () => {
    const batch = {
      async createNamespacedJob({ body }: { body: k8s.V1Job }) {
        return body;
      },
      async readNamespacedJob() {
        return { metadata: { labels: { "berth.dev/move": "aaaa0000" } }, status: {} };
      },
    } as unknown as k8s.BatchV1Api;
    const selectors: string[] = [];
    const core = {
      listNamespacedPod: async () => ({ items: [] }),
      async listNamespacedEvent({ fieldSelector }: { fieldSelector: string }) {
        selectors.push(fieldSelector);
        const message = 'Error creating: pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged';
        return { items: [{ involvedObject: { kind: "Job", name: spec.name }, message, lastTimestamp: new Date() }] };
      },
    } as unknown as k8s.CoreV1Api;
    const res = await jobRunner("east", core, batch, makeCall("east", 1_000)).runJob({ ...spec, timeoutMs: 1 });
    expect(res.succeeded).toBe(false);
    expect(res.message).toMatch(/^its pod was refused: Job shop-api-up-2-4-0-aaaa0000-123456: Error creating: pods "x" is forbidden: violates PodSecurity/);
    expect(selectors).toEqual([`reason=FailedCreate,involvedObject.name=${spec.name}`]);
  });
});
