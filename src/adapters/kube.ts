// Everything berth reads from or writes to a cluster's API, behind one small
// interface per cluster, composed from one module per concern (kube/): Helm's
// storage, berth's memos, step Jobs, health. "Nothing changed" costs no helm process.
import * as k8s from "@kubernetes/client-node";
import { BerthError, KubeError } from "../errors.ts";
import { adoptedStore, type AdoptedStore } from "./kube/adopted-store.ts";
import { appRecordStore, type AppRecordStore } from "./kube/app-records.ts";
import { rolloutRecordStore, type RolloutRecordStore } from "./kube/rollout-records.ts";
import { reuseAgent } from "./kube/agent.ts";
import { abortWithCall, makeCall, httpStatus } from "./kube/call.ts";
import { impersonate, type Impersonation } from "./kube/impersonate.ts";
import { crdReader, type CrdReader } from "./kube/crds.ts";
import { kindScopes, type KindScopes } from "./kube/discovery.ts";
import { healthReader, type HealthReader } from "./kube/health.ts";
import { helmStorage, type HelmStorage } from "./kube/helm-storage.ts";
import { jobRunner, type JobRunner } from "./kube/jobs.ts";
import { memoStore, type MemoStore } from "./kube/memos.ts";
import { podRefusals, type PodRefusals } from "./kube/pod-refusals.ts";
import { podLogReader, type PodLogReader } from "./kube/pod-logs.ts";
import { objectEvents, type ObjectEvents } from "./kube/release-events.ts";
import { objectStatusReader, type ObjectStatusReader } from "./kube/release-objects.ts";
import { releasePods, type ReleasePods } from "./kube/release-pods.ts";
import { workloadRestarter, type WorkloadRestarter } from "./kube/restart.ts";
import { stepLogStore, type StepLogStore } from "./kube/step-logs.ts";
import { storageAdoption, type StorageAdoption } from "./kube/storage-adoption.ts";
import { LABELS } from "../model/labels.ts";

export { LABELS } from "../model/labels.ts";
export type { WorkloadKind, HealthTarget } from "./kube/health.ts";
export type { JobSpec, JobResult } from "./kube/jobs.ts";
export type { DeployedManifest } from "./kube/helm-storage.ts";
export type { StoredRevision } from "./kube/storage-adoption.ts";
export type { AdoptedRelease, KeptRelease } from "./kube/adopted-store.ts";
export type { CrdState } from "./kube/crds.ts";
export type { Impersonation } from "./kube/impersonate.ts";
export type { LiveObject, ObjectRef, ObjectState } from "./kube/release-objects.ts";
export type { PodOwnerRef, PodSummary, ContainerSummary, WorkloadPods } from "./kube/release-pods.ts";
export type { EventPage, EventSummary, InvolvedRef } from "./kube/release-events.ts";
export type { FollowRequest, LogRequest } from "./kube/pod-logs.ts";
export type { RestartTarget } from "./kube/restart.ts";
export { decodeRelease, encodeRelease, groupReleases } from "./kube/helm-storage.ts";

export interface KubeClient
  extends HelmStorage,
    StorageAdoption,
    MemoStore,
    StepLogStore,
    AdoptedStore,
    AppRecordStore,
    RolloutRecordStore,
    JobRunner,
    HealthReader,
    KindScopes,
    CrdReader,
    PodRefusals,
    ObjectStatusReader,
    ReleasePods,
    ObjectEvents,
    PodLogReader,
    WorkloadRestarter {
  readonly cluster: string;
  /** Fails fast (timeout) when the API server cannot be reached. */
  ping(timeoutMs?: number): Promise<void>;
  ensureNamespace(name: string): Promise<void>;
  /** Any object, as plain JSON; undefined when it does not exist. */
  getObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Record<string, unknown> | undefined>;
  /** Server-side apply of a whole object (creates it when missing). */
  applyObject(obj: Record<string, unknown>, opts: { fieldManager: string; force: boolean }): Promise<void>;
}

export interface KubeOptions {
  cluster: string;
  kubeconfigPath?: string;
  context?: string;
  inCluster?: boolean;
  /** Per-request bound, so an unreachable cluster fails instead of hanging. */
  requestTimeoutMs?: number;
  /** Where the access was declared (`clusters/prod.yaml:5:3 spec.kubeconfig`), for error messages. */
  declaredAt?: string;
  /** The operator's --insecure-kubeconfig-exec: let the user's exec / auth-provider plugin run. */
  allowExec?: boolean;
  /** Act as this identity on every request (a Project's ServiceAccount), so the API server's RBAC decides. */
  impersonate?: Impersonation;
}

/** The flag that lets credential plugins run; never settable from git. */
export const EXEC_FLAG = "--insecure-kubeconfig-exec (or BERTH_INSECURE_KUBECONFIG_EXEC=1)";

export function loadKubeConfig(o: KubeOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (o.inCluster) kc.loadFromCluster();
  else if (o.kubeconfigPath) kc.loadFromFile(o.kubeconfigPath);
  else kc.loadFromDefault();
  if (o.context) {
    // client-node accepts any name here and fails later with "No active cluster!"
    if (!kc.getContextObject(o.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`context ${o.context} is not in it; it has ${known.length ? known.join(", ") : "no contexts"}`);
    }
    kc.setCurrentContext(o.context);
  }
  if (!o.allowExec) refuseCredentialPlugin(kc);
  reuseAgent(kc);
  return kc;
}

/**
 * client-node and helm run a user's `exec` command (and the gcp/azure
 * auth-provider's `cmd-path`) as berth's own user on every request; a kubeconfig
 * may come from anywhere, so they run only when the operator says so.
 */
function refuseCredentialPlugin(kc: k8s.KubeConfig): void {
  const user = kc.getCurrentUser();
  if (!user) return;
  // `tokenFile` is client-node's own in-cluster provider: it reads the ServiceAccount token and runs nothing.
  const provider = (user.authProvider as { name?: string } | undefined)?.name;
  const kind = user.exec ? "an exec credential plugin (users[].user.exec)" : user.authProvider && provider !== "tokenFile" ? `an auth-provider plugin (users[].user.auth-provider ${provider ?? ""})` : undefined;
  if (!kind) return;
  throw new BerthError(
    "INVALID_INPUT",
    `its user ${user.name} runs ${kind}, which berth does not run unless the operator starts it with ${EXEC_FLAG}; use a token or client certificate, or start berth with that flag`,
  );
}

export function createKube(o: KubeOptions): KubeClient {
  let kc: k8s.KubeConfig;
  try {
    kc = loadKubeConfig(o);
    if (o.impersonate) impersonate(kc, o.impersonate);
  } catch (err) {
    // A missing or broken kubeconfig makes this one cluster unreachable, not the whole run.
    return unreachableKube(o.cluster, accessFailure(o, err));
  }
  abortWithCall(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const version = kc.makeApiClient(k8s.VersionApi);
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const call = makeCall(o.cluster, o.requestTimeoutMs ?? 15_000);
  const storage = helmStorage(o.cluster, core, call);
  const applyObject: KubeClient["applyObject"] = async (obj, opts) => {
    const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
    const what = `apply ${String(obj.kind)} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? "?"}`;
    // client-node writes a kind it has a model of through that model, by the model's field names
    // (x_kubernetes_preserve_unknown_fields, ref): a plain object's JSON names would be dropped on the
    // way, so a chart's CRD lost its x-kubernetes-* fields. loadYaml reads JSON (it is YAML) into the model.
    const typed = k8s.loadYaml<k8s.KubernetesObject>(JSON.stringify(obj));
    await call(what, () => objects.patch(typed, undefined, undefined, opts.fieldManager, opts.force, k8s.PatchStrategy.ServerSideApply));
  };

  return {
    cluster: o.cluster,
    ...storage,
    ...memoStore(core, call),
    ...appRecordStore(core, call),
    ...rolloutRecordStore(core, call, applyObject),
    ...storageAdoption(core, call),
    ...stepLogStore(core, call),
    ...adoptedStore(core, call),
    ...crdReader(o.cluster, ext, call),
    ...jobRunner(o.cluster, core, batch, call),
    ...kindScopes(kc, call),
    ...healthReader({ apps, batch, call, storage }),
    ...podRefusals(core, call),
    ...objectStatusReader({ core, objects, call }),
    ...releasePods({ core, apps, batch, call }),
    ...objectEvents({ core, call }),
    ...podLogReader({ cluster: o.cluster, core, log: new k8s.Log(kc), call }),
    ...workloadRestarter(o.cluster, apps, call),
    async ping(ms = 5_000) {
      await call("reach the API server", () => version.getCode(), ms);
    },
    async ensureNamespace(name) {
      try {
        await call("read namespace", () => core.readNamespace({ name }));
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
        try {
          await call("create namespace", () => core.createNamespace({ body: { metadata: { name, labels: { [LABELS.managed]: "true" } } } }));
        } catch (e) {
          if (httpStatus(e) !== 409) throw e;
        }
      }
    },
    async getObject(apiVersion, kind, namespace, name) {
      const what = `read ${kind} ${namespace ? `${namespace}/` : ""}${name}`;
      try {
        const obj = await call(what, () => objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }));
        // Class instances with Dates -> the plain JSON the API server sent.
        return JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
      } catch (err) {
        if (httpStatus(err) === 404) return undefined;
        throw err;
      }
    },
    applyObject,
  };
}

/** Why a cluster's access cannot be used, with where it was declared and what would be right. */
export function accessFailure(o: KubeOptions, err: unknown): string {
  const at = o.declaredAt ? `${o.declaredAt}: ` : "";
  const what = o.inCluster ? "in-cluster credentials" : `kubeconfig ${o.kubeconfigPath ?? "(default)"}${o.context ? ` (context ${o.context})` : ""}`;
  // A refusal says its own fix; a read or parse failure gets the general one.
  if (err instanceof BerthError) return `${at}${what}: ${err.message}`;
  const fix = o.inCluster
    ? "inCluster works only inside a Pod with a ServiceAccount token"
    : "set spec.kubeconfig.path to a readable kubeconfig and spec.kubeconfig.context to one of its contexts";
  return `${at}cannot load ${what}: ${(err as Error).message}; ${fix}`;
}

/** A client whose every call fails with `message` (the cluster cannot be reached as declared). */
export function unreachableKube(cluster: string, message: string): KubeClient {
  const fail = async (): Promise<never> => {
    throw new KubeError(cluster, message);
  };
  return {
    cluster,
    ping: fail,
    listReleases: fail,
    getRelease: fail,
    listMemos: fail,
    writeMemo: fail,
    writeStepLogs: fail,
    readStepLogs: fail,
    listAppRecords: fail,
    writeAppRecord: fail,
    listRolloutRecords: fail,
    writeRolloutDone: fail,
    writeApproval: fail,
    ensureNamespace: fail,
    markRevisionFailed: fail,
    readStoredRevisions: fail,
    labelReleaseStorage: fail,
    keepAdopted: fail,
    readAdopted: fail,
    readCrd: fail,
    waitCrdsEstablished: fail,
    runJob: fail,
    healthy: fail,
    waitHealthy: fail,
    readManifest: fail,
    getObject: fail,
    applyObject: fail,
    kindScope: fail,
    podRefusals: async () => [],
    objectStatuses: fail,
    workloadPods: fail,
    objectEvents: fail,
    readPodLog: fail,
    followPodLog: fail,
    restartWorkload: fail,
  };
}
