import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { StepSpec } from "../model/types.ts";
import { spec } from "../plan/test-specs.ts";
import { runStep, stepSecurity, type StepRun } from "./run-step.ts";
import { fakeKube } from "./test-fakes.ts";

const log = pino({ level: "silent" });
const run = (step: StepSpec, over: Partial<StepRun> = {}): StepRun => ({ release: "shop-api", namespace: "shop", kind: "run", to: "2.4.0", step, move: "aaaa0000", ...over });

async function jobOf(r: StepRun) {
  const f = fakeKube();
  await runStep({ kube: f.kube, log, stepTimeoutMs: 1_000 }, r);
  return [...f.jobs.values()][0]!.spec;
}

describe("runStep: what the step's pod runs as", () => {
  it("without its release's settings: Pod Security restricted", async () => {
    const job = await jobOf(run({ image: "m" }));
    expect(job.podSecurityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(job.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
    expect(job.resources).toBeUndefined(); // the Job builder's small default
  });

  it("a generated release's pod and main container settings, then the step's own keys", async () => {
    const release = spec("shop-api", {
      values: {
        podSecurityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: null },
        defaultSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
        securityContext: { runAsNonRoot: false },
      },
    });
    const security = stepSecurity(release)!;
    const job = await jobOf(run({ image: "m", securityContext: { readOnlyRootFilesystem: false }, resources: { limits: { memory: "1Gi" } }, imagePullPolicy: "Always" }, { security }));
    expect(job.podSecurityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001 });
    expect(job.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, runAsNonRoot: false });
    expect(job).toMatchObject({ resources: { limits: { memory: "1Gi" } }, imagePullPolicy: "Always" });
  });

  it("a third-party chart's release gives its steps nothing of its values", () => {
    expect(stepSecurity(spec("infra-ms", { chart: { name: "ms", version: "3.12.2", source: { repository: "sigs", url: "https://x/ms.tgz" } }, workloadKind: "Chart", values: { securityContext: { privileged: true } } }))).toBeUndefined();
  });
});

describe("a failed install whose pods the API server refused", () => {
  it("says so in the record, in Kubernetes' words, since the action began", async () => {
    const { applyRelease } = await import("./upgrade.ts");
    const { actionContext, recordingHelm } = await import("./test-fakes.ts");
    const { emptyMemo } = await import("../plan/observed.ts");
    const f = fakeKube();
    const refusal = 'ReplicaSet shop-api-5d8f9: Error creating: pods "shop-api-5d8f9-x" is forbidden: violates PodSecurity "restricted:latest": privileged';
    let asked: unknown[] = [];
    f.kube.podRefusals = async (...a) => ((asked = a), [refusal]);
    const h = recordingHelm({ upgrade: true });
    const item = { name: "shop-api", namespace: "shop", application: "shop", desired: spec("shop-api"), digest: "d1", state: { name: "Absent" as const, reason: "not installed" }, action: { kind: "install" as const, to: "1.0.0", steps: [] as [] }, needs: [] };
    const out = await applyRelease(actionContext(f.kube, h.helm), { item, memo: emptyMemo(), prune: false, persist: async () => {} }, item.action);
    expect(out.record.error).toBe(`helm upgrade failed: boom; the API server refused its pods: ${refusal}; helm stored no release, so there was nothing to uninstall`);
    expect(asked.slice(0, 2)).toEqual(["shop", "shop-api"]);
    expect(asked[2]).toEqual(new Date(out.record.at));
  });
});
