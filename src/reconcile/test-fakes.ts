// Small fakes of the adapters for the executor tests: a KubeClient that keeps
// step Jobs (by name, as the API server does), memos, step logs and one
// release's revisions; a HelmClient that records every call.
import { pino } from "pino";
import type { HelmClient, RollbackOptions, TemplateOptions, UninstallOptions, UpgradeOptions } from "../adapters/helm.ts";
import type { JobSpec, KubeClient } from "../adapters/kube.ts";
import type { ObservedRelease } from "../plan/observed.ts";
import type { ActionContext } from "./context.ts";

export interface FakeJob {
  spec: JobSpec;
  /** How often berth asked to create it (the first made it). */
  creates: number;
}

export function fakeKube(release?: ObservedRelease) {
  const jobs = new Map<string, FakeJob>();
  const memos = new Map<string, Record<string, string>>();
  const stepLogs = new Map<string, Record<string, string>>();
  const created: string[] = [];
  const state = { release, failJob: undefined as undefined | ((spec: JobSpec) => boolean), refusals: [] as string[] };
  const kube: Partial<KubeClient> = {
    cluster: "east",
    async runJob(spec) {
      const had = jobs.get(spec.name);
      // The real adapter refuses a Job of another move (tested in adapters/kube/jobs.test.ts).
      if (had && had.spec.move !== spec.move) throw new Error(`job ${spec.name} belongs to move ${had.spec.move}`);
      if (had) had.creates++;
      else {
        jobs.set(spec.name, { spec, creates: 1 });
        created.push(spec.name);
      }
      const ok = !state.failJob?.(spec);
      return { succeeded: ok, logs: `logs of ${spec.name}`, message: ok ? "Complete" : "BackoffLimitExceeded" };
    },
    async writeStepLogs(ns, rel, job, logs) {
      stepLogs.set(`${ns}/${rel}`, { ...stepLogs.get(`${ns}/${rel}`), [job]: logs });
    },
    async readStepLogs(ns, rel) {
      return stepLogs.get(`${ns}/${rel}`) ?? {};
    },
    async listMemos() {
      return new Map(memos);
    },
    async writeMemo(ns, rel, data) {
      memos.set(`${ns}/${rel}`, data);
    },
    async getRelease() {
      return state.release;
    },
    async listReleases() {
      return state.release ? [state.release] : [];
    },
    async markRevisionFailed() {},
    async podRefusals() {
      return state.refusals;
    },
  };
  return { kube: kube as KubeClient, jobs, memos, stepLogs, created, state };
}

export type HelmCall =
  | { verb: "upgrade"; o: UpgradeOptions }
  | { verb: "rollback"; o: RollbackOptions }
  | { verb: "uninstall"; o: UninstallOptions }
  | { verb: "template"; o: TemplateOptions };

/** `manifest`: what `helm template` prints. */
export function recordingHelm(fail: Partial<Record<HelmCall["verb"], boolean>> = {}, manifest = "") {
  const calls: HelmCall[] = [];
  const helm: HelmClient = {
    async upgradeInstall(o) {
      calls.push({ verb: "upgrade", o });
      if (fail.upgrade) throw new Error("helm upgrade failed: boom");
    },
    async rollback(o) {
      calls.push({ verb: "rollback", o });
      if (fail.rollback) throw new Error("helm rollback failed: boom");
    },
    async uninstall(o) {
      calls.push({ verb: "uninstall", o });
    },
    async template(o) {
      calls.push({ verb: "template", o });
      if (fail.template) throw new Error("helm template failed: boom");
      return manifest;
    },
    get calls() {
      return calls.length;
    },
  };
  return { helm, calls };
}

export function actionContext(kube: KubeClient, helm: HelmClient, over: Partial<ActionContext> = {}): ActionContext {
  return {
    cluster: "east",
    commit: "c1",
    kube,
    helm,
    log: pino({ level: "silent" }),
    helmTimeoutMs: 1_000,
    stepTimeoutMs: 1_000,
    chartDir: async () => "/charts/x",
    ...over,
  };
}
