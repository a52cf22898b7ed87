// Everything berth reads from or writes to a cluster's API, behind one small
// interface per cluster. Helm's own storage is read here (labels only, one list
// call) so that "nothing changed" costs no helm process.
import * as k8s from "@kubernetes/client-node";
import { gunzipSync, gzipSync } from "node:zlib";
import { KubeError } from "../errors.ts";
import type { HelmStatus, ObservedRelease, ObservedRevision } from "../plan/observed.ts";
import { versionFromLabel } from "../plan/digest.ts";

export const LABELS = {
  managed: "berth.dev/managed",
  digest: "berth.dev/digest",
  version: "berth.dev/version",
  application: "berth.dev/application",
  prune: "berth.dev/prune",
  memo: "berth.dev/memo",
  release: "berth.dev/release",
  step: "berth.dev/step",
} as const;

export type WorkloadKind = "Deployment" | "StatefulSet" | "Job" | "External";

export interface JobSpec {
  namespace: string;
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  labels: Record<string, string>;
  timeoutMs: number;
}

export interface JobResult {
  succeeded: boolean;
  logs: string;
  message: string;
}

export interface KubeClient {
  readonly cluster: string;
  /** Fails fast (timeout) when the API server cannot be reached. */
  ping(timeoutMs?: number): Promise<void>;
  /** Every Helm release on the cluster, from its storage Secrets, in one call. */
  listReleases(): Promise<ObservedRelease[]>;
  /** One release's storage, after an action. */
  getRelease(namespace: string, name: string): Promise<ObservedRelease | undefined>;
  /** berth's memo ConfigMaps (one per release), in one call: namespace/release -> data. */
  listMemos(): Promise<Map<string, Record<string, string>>>;
  writeMemo(namespace: string, release: string, data: Record<string, string>): Promise<void>;
  ensureNamespace(name: string): Promise<void>;
  /** Marks a release revision left pending by a crash as failed, in Helm's own storage. */
  markRevisionFailed(namespace: string, release: string, revision: number): Promise<void>;
  runJob(spec: JobSpec): Promise<JobResult>;
  /** Whether the main object of a release is healthy now. */
  healthy(kind: WorkloadKind, namespace: string, name: string): Promise<{ healthy: boolean; message: string }>;
  /** The manifest and values of a release's latest deployed revision: one list call, one payload decoded. */
  readManifest(namespace: string, release: string): Promise<DeployedManifest | undefined>;
  /** Any object, as plain JSON; undefined when it does not exist. */
  getObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<Record<string, unknown> | undefined>;
  /** Server-side apply of a whole object (creates it when missing). */
  applyObject(obj: Record<string, unknown>, opts: { fieldManager: string; force: boolean }): Promise<void>;
  /** Waits until healthy or the timeout passes. */
  waitHealthy(kind: WorkloadKind, namespace: string, name: string, timeoutMs: number): Promise<{ healthy: boolean; message: string }>;
}

/** What Helm applied for a release's deployed revision, from its storage Secret. */
export interface DeployedManifest {
  revision: number;
  /** Multi-document YAML of every object Helm applied (hooks excluded). */
  manifest: string;
  /** The values berth passed (`config` in Helm's payload). */
  config: Record<string, unknown>;
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
}

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
  return kc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks the API server for metadata only (a PartialObjectMetadataList): the
 * state of a release is in its storage Secrets' labels, and their payloads
 * (chart, manifest, values: tens of KiB each) would cost memory and time on
 * every loop. The list parses as a V1SecretList whose items have no data.
 */
const METADATA_ONLY: k8s.ConfigurationOptions = {
  middleware: [
    {
      pre: (ctx) => {
        ctx.setHeaderParam("Accept", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json;q=0.9");
        return new k8s.Observable(Promise.resolve(ctx));
      },
      post: (res) => new k8s.Observable(Promise.resolve(res)),
    },
  ],
  middlewareMergeStrategy: "append",
};

const statusCode = (err: unknown): number | undefined => (err as { code?: number }).code;

export function createKube(o: KubeOptions): KubeClient {
  let kc: k8s.KubeConfig;
  try {
    kc = loadKubeConfig(o);
  } catch (err) {
    // A missing or broken kubeconfig makes this one cluster unreachable, not the whole run.
    const what = o.inCluster ? "in-cluster credentials" : `kubeconfig ${o.kubeconfigPath ?? "(default)"}${o.context ? ` (context ${o.context})` : ""}`;
    const fix = o.inCluster
      ? "inCluster works only inside a Pod with a ServiceAccount token"
      : "set spec.kubeconfig.path to a readable kubeconfig and spec.kubeconfig.context to one of its contexts";
    return unreachableKube(o.cluster, `${o.declaredAt ? `${o.declaredAt}: ` : ""}cannot load ${what}: ${(err as Error).message}; ${fix}`);
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const version = kc.makeApiClient(k8s.VersionApi);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const timeout = o.requestTimeoutMs ?? 15_000;

  async function call<T>(what: string, p: () => Promise<T>, ms = timeout): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new KubeError(o.cluster, `${what}: no answer within ${ms} ms`)), ms);
        }),
      ]);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === "string" ? body : (err as Error).message;
      throw new KubeError(o.cluster, `${what}: ${detail}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

  return {
    cluster: o.cluster,
    async ping(ms = 5_000) {
      await call("reach the API server", () => version.getCode(), ms);
    },
    async listReleases() {
      const list = await call("list Helm release storage", () => core.listSecretForAllNamespaces({ labelSelector: "owner=helm" }, METADATA_ONLY));
      // an empty PartialObjectMetadataList comes with `items: null`
      return groupReleases(list.items ?? []);
    },
    async getRelease(namespace, name) {
      const list = await call("read Helm release storage", () =>
        core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${name}` }, METADATA_ONLY),
      );
      return groupReleases(list.items ?? [])[0];
    },
    async listMemos() {
      const list = await call("list berth memos", () => core.listConfigMapForAllNamespaces({ labelSelector: `${LABELS.memo}=true` }));
      const out = new Map<string, Record<string, string>>();
      for (const cm of list.items) {
        const rel = cm.metadata?.labels?.[LABELS.release];
        if (rel && cm.metadata?.namespace) out.set(`${cm.metadata.namespace}/${rel}`, cm.data ?? {});
      }
      return out;
    },
    async writeMemo(namespace, release, data) {
      const name = `berth-memo-${release}`;
      const body: k8s.V1ConfigMap = {
        metadata: { name, namespace, labels: { [LABELS.memo]: "true", [LABELS.release]: release } },
        data,
      };
      try {
        await call("write memo", () => core.replaceNamespacedConfigMap({ name, namespace, body }));
      } catch (err) {
        if (statusCode((err as KubeError).cause) !== 404) throw err;
        await call("create memo", () => core.createNamespacedConfigMap({ namespace, body }));
      }
    },
    async ensureNamespace(name) {
      try {
        await call("read namespace", () => core.readNamespace({ name }));
      } catch (err) {
        if (statusCode((err as KubeError).cause) !== 404) throw err;
        try {
          await call("create namespace", () =>
            core.createNamespace({ body: { metadata: { name, labels: { [LABELS.managed]: "true" } } } }),
          );
        } catch (e) {
          if (statusCode((e as KubeError).cause) !== 409) throw e;
        }
      }
    },
    async markRevisionFailed(namespace, release, revision) {
      const name = `sh.helm.release.v1.${release}.v${revision}`;
      const secret = await call("read release storage", () => core.readNamespacedSecret({ name, namespace }));
      const raw = secret.data?.release;
      if (!raw) throw new KubeError(o.cluster, `release storage ${namespace}/${name} has no release data`);
      const rel = decodeRelease(raw) as { info?: { status?: string; description?: string } };
      rel.info = { ...rel.info, status: "failed", description: "marked failed by berth: left pending by an interrupted operation" };
      await call(
        "patch release storage",
        () =>
          core.patchNamespacedSecret(
            { name, namespace, body: { metadata: { labels: { status: "failed" } }, data: { release: encodeRelease(rel) } } },
            mergePatch,
          ),
      );
    },
    async runJob(spec) {
      const body: k8s.V1Job = {
        metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
        spec: {
          backoffLimit: 0,
          ttlSecondsAfterFinished: 86_400,
          activeDeadlineSeconds: Math.ceil(spec.timeoutMs / 1000),
          template: {
            metadata: { labels: spec.labels },
            spec: {
              restartPolicy: "Never",
              containers: [
                {
                  name: "step",
                  image: spec.image,
                  ...(spec.command ? { command: spec.command } : {}),
                  ...(spec.args ? { args: spec.args } : {}),
                  env: Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
                },
              ],
            },
          },
        },
      };
      try {
        await call("create step job", () => batch.createNamespacedJob({ namespace: spec.namespace, body }));
      } catch (err) {
        // The same step of the same move already exists: a restarted berth waits for it instead of running it twice.
        if (statusCode((err as KubeError).cause) !== 409) throw err;
      }
      const deadline = Date.now() + spec.timeoutMs;
      for (;;) {
        const job = await call("read step job", () => batch.readNamespacedJob({ name: spec.name, namespace: spec.namespace }));
        const conds = job.status?.conditions ?? [];
        const done = conds.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
        if (done) {
          const logs = await jobLogs(spec.namespace, spec.name);
          return { succeeded: done.type === "Complete", logs, message: done.message ?? done.reason ?? done.type };
        }
        if (Date.now() > deadline) return { succeeded: false, logs: await jobLogs(spec.namespace, spec.name), message: `did not finish within ${spec.timeoutMs} ms` };
        await sleep(500);
      }
    },
    async readManifest(namespace, release) {
      const list = await call("read deployed release storage", () =>
        core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release},status=deployed` }),
      );
      const newest = list.items
        .map((s) => ({ s, rev: Number(s.metadata?.labels?.version) }))
        .filter((x) => Number.isInteger(x.rev) && x.s.data?.release)
        .sort((a, b) => b.rev - a.rev)[0];
      if (!newest) return undefined;
      const rel = decodeRelease(newest.s.data!.release!) as { manifest?: string; config?: Record<string, unknown> | null };
      return { revision: newest.rev, manifest: rel.manifest ?? "", config: rel.config ?? {} };
    },
    async getObject(apiVersion, kind, namespace, name) {
      const what = `read ${kind} ${namespace ? `${namespace}/` : ""}${name}`;
      try {
        const obj = await call(what, () => objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }));
        // Class instances with Dates -> the plain JSON the API server sent.
        return JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
      } catch (err) {
        if (statusCode((err as KubeError).cause) === 404) return undefined;
        throw err;
      }
    },
    async applyObject(obj, opts) {
      const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string };
      const what = `apply ${String(obj.kind)} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? "?"}`;
      await call(what, () =>
        objects.patch(obj as k8s.KubernetesObject, undefined, undefined, opts.fieldManager, opts.force, k8s.PatchStrategy.ServerSideApply),
      );
    },
    healthy: (kind, namespace, name) => health(kind, namespace, name),
    async waitHealthy(kind, namespace, name, ms) {
      const deadline = Date.now() + ms;
      for (;;) {
        const h = await health(kind, namespace, name);
        if (h.healthy || Date.now() > deadline) return h;
        await sleep(500);
      }
    },
  };

  async function jobLogs(namespace: string, job: string): Promise<string> {
    try {
      const pods = await call("list step pods", () => core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` }));
      const parts: string[] = [];
      for (const p of pods.items) {
        const name = p.metadata?.name ?? "";
        try {
          parts.push(await call("read step logs", () => core.readNamespacedPodLog({ name, namespace, tailLines: 200 })));
        } catch {
          // A node without a kubelet (or a pod that never started) has no logs; say so in the record.
          const st = p.status?.containerStatuses?.[0]?.state;
          parts.push(`[no logs from ${name}; phase ${p.status?.phase ?? "unknown"}${st?.terminated ? `, exit ${st.terminated.exitCode}` : ""}]`);
        }
      }
      return parts.join("\n");
    } catch {
      return "";
    }
  }

  async function health(kind: WorkloadKind, namespace: string, name: string): Promise<{ healthy: boolean; message: string }> {
    try {
      switch (kind) {
        case "External":
          return { healthy: true, message: "external service" };
        case "Deployment": {
          const d = await call("read deployment", () => apps.readNamespacedDeployment({ name, namespace }));
          const want = d.spec?.replicas ?? 1;
          const ok = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (d.status?.updatedReplicas ?? 0) >= want && (d.status?.availableReplicas ?? 0) >= want;
          return { healthy: ok, message: `${d.status?.availableReplicas ?? 0}/${want} available` };
        }
        case "StatefulSet": {
          const s = await call("read statefulset", () => apps.readNamespacedStatefulSet({ name, namespace }));
          const want = s.spec?.replicas ?? 1;
          const ok = (s.status?.readyReplicas ?? 0) >= want && (s.status?.updatedReplicas ?? 0) >= want;
          return { healthy: ok, message: `${s.status?.readyReplicas ?? 0}/${want} ready` };
        }
        case "Job": {
          const j = await call("read job", () => batch.readNamespacedJob({ name, namespace }));
          const ok = (j.status?.succeeded ?? 0) > 0;
          return { healthy: ok, message: ok ? "complete" : (j.status?.failed ?? 0) > 0 ? "failed" : "running" };
        }
      }
    } catch (err) {
      if (statusCode((err as KubeError).cause) === 404) return { healthy: false, message: `${kind} ${namespace}/${name} not found` };
      throw err;
    }
  }
}

function unreachableKube(cluster: string, message: string): KubeClient {
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
    ensureNamespace: fail,
    markRevisionFailed: fail,
    runJob: fail,
    healthy: fail,
    waitHealthy: fail,
    readManifest: fail,
    getObject: fail,
    applyObject: fail,
  };
}

/** Helm stores a release as base64(gzip(JSON)) inside the Secret's (base64) data. */
export function decodeRelease(secretData: string): unknown {
  const helmEncoded = Buffer.from(secretData, "base64").toString("utf8");
  const bytes = Buffer.from(helmEncoded, "base64");
  const json = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return JSON.parse(json.toString("utf8"));
}

export function encodeRelease(rel: unknown): string {
  const helmEncoded = gzipSync(Buffer.from(JSON.stringify(rel))).toString("base64");
  return Buffer.from(helmEncoded).toString("base64");
}

/** Groups Helm storage Secrets into releases with ascending revisions; labels only, no payload decoding. */
export function groupReleases(items: k8s.V1Secret[]): ObservedRelease[] {
  const byKey = new Map<string, { r: ObservedRelease; labels: Map<number, Record<string, string>> }>();
  for (const s of items) {
    const l = s.metadata?.labels ?? {};
    const name = l.name;
    const namespace = s.metadata?.namespace;
    const revision = Number(l.version);
    if (!name || !namespace || !Number.isInteger(revision)) continue;
    const key = `${namespace}/${name}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { r: { name, namespace, managed: false, prune: false, revisions: [] }, labels: new Map() };
      byKey.set(key, entry);
    }
    const rev: ObservedRevision = { revision, status: (l.status ?? "unknown") as HelmStatus };
    const digest = l[LABELS.digest];
    const version = l[LABELS.version];
    if (digest) rev.digest = digest;
    if (version) rev.version = versionFromLabel(version);
    entry.r.revisions.push(rev);
    entry.labels.set(revision, l);
  }
  const out: ObservedRelease[] = [];
  for (const { r, labels } of byKey.values()) {
    r.revisions.sort((a, b) => a.revision - b.revision);
    // Ownership and prune follow the newest revision berth labelled.
    const newest = [...r.revisions].reverse().map((v) => labels.get(v.revision)!).find((l) => l[LABELS.managed] === "true");
    if (newest) {
      r.managed = true;
      r.prune = newest[LABELS.prune] === "true";
      const app = newest[LABELS.application];
      if (app) r.application = app;
    }
    out.push(r);
  }
  return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
}
