// One coordination.k8s.io/v1 Lease, read and written with optimistic
// concurrency: every write carries the resourceVersion it was based on, so
// two replicas racing for the same Lease cannot both win.
import * as k8s from "@kubernetes/client-node";
import { KubeError } from "../errors.ts";

export interface LeaseRecord {
  holder?: string;
  /** ms since epoch */
  renewTime?: number;
  acquireTime?: number;
  durationMs: number;
  transitions: number;
  /** The version this record was read at; required to update it. */
  resourceVersion?: string;
}

export interface LeaseClient {
  readonly namespace: string;
  readonly name: string;
  get(): Promise<LeaseRecord | undefined>;
  /** Fails with LeaseConflict when the Lease already exists. */
  create(r: LeaseRecord): Promise<LeaseRecord>;
  /** Fails with LeaseConflict when someone else wrote since `r.resourceVersion`. */
  update(r: LeaseRecord): Promise<LeaseRecord>;
}

/** Another replica wrote the Lease first: re-read and decide again. */
export class LeaseConflict extends KubeError {}

export interface LeaseClientOptions {
  kubeConfig: k8s.KubeConfig;
  /** For messages: which cluster holds the Lease. */
  cluster: string;
  namespace: string;
  name: string;
  /** Each request is bounded so that a hung API server cannot outlast the renew deadline. */
  requestTimeoutMs?: number;
}

const toMs = (t: unknown): number | undefined => {
  if (t === undefined || t === null) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(String(t));
  return Number.isNaN(ms) ? undefined : ms;
};

// The API server expects MicroTime (six fractional digits); V1MicroTime prints that.
const micro = (ms: number | undefined) => (ms === undefined ? undefined : new k8s.V1MicroTime(ms));

export function fromLease(l: k8s.V1Lease): LeaseRecord {
  const s = l.spec ?? {};
  const renewTime = toMs(s.renewTime);
  const acquireTime = toMs(s.acquireTime);
  return {
    ...(s.holderIdentity ? { holder: s.holderIdentity } : {}),
    ...(renewTime !== undefined ? { renewTime } : {}),
    ...(acquireTime !== undefined ? { acquireTime } : {}),
    durationMs: (s.leaseDurationSeconds ?? 15) * 1000,
    transitions: s.leaseTransitions ?? 0,
    ...(l.metadata?.resourceVersion ? { resourceVersion: l.metadata.resourceVersion } : {}),
  };
}

function toLease(namespace: string, name: string, r: LeaseRecord): k8s.V1Lease {
  const spec: k8s.V1LeaseSpec = {
    holderIdentity: r.holder ?? "",
    leaseDurationSeconds: Math.max(1, Math.round(r.durationMs / 1000)),
    leaseTransitions: r.transitions,
  };
  const renew = micro(r.renewTime);
  const acquire = micro(r.acquireTime);
  if (renew) spec.renewTime = renew;
  if (acquire) spec.acquireTime = acquire;
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec,
  };
}

const statusCode = (err: unknown): number | undefined => (err as { code?: number }).code;

export function createLeaseClient(o: LeaseClientOptions): LeaseClient {
  return createLeaseNamespace(o).client(o.name);
}

/** The Leases of one namespace: one per name, and a list of those whose name starts with a prefix (shards, heartbeats). */
export interface LeaseNamespace {
  readonly namespace: string;
  client(name: string): LeaseClient;
  /** One call: every Lease whose name starts with `prefix`, with its record. */
  list(prefix: string): Promise<Array<{ name: string; record: LeaseRecord }>>;
  /** Deletes a Lease when it is still at `resourceVersion` (a heartbeat long dead); gone already is fine. */
  remove(name: string, resourceVersion: string): Promise<void>;
}

export function createLeaseNamespace(o: Omit<LeaseClientOptions, "name">): LeaseNamespace {
  const api = o.kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  const ms = o.requestTimeoutMs ?? 5_000;

  async function call<T>(what: string, where: string, p: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new KubeError(o.cluster, `${what} ${where}: no answer within ${ms} ms`)), ms);
        }),
      ]);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      const code = statusCode(err);
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === "string" ? body : (err as Error).message;
      if (code === 409) throw new LeaseConflict(o.cluster, `${what} ${where}: written by another replica first`, { cause: err });
      throw new KubeError(o.cluster, `${what} ${where}: ${detail}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  function client(name: string): LeaseClient {
    const where = `lease ${o.namespace}/${name}`;
    return {
      namespace: o.namespace,
      name,
      async get() {
        try {
          return fromLease(await call("read", where, () => api.readNamespacedLease({ name, namespace: o.namespace })));
        } catch (err) {
          if (statusCode((err as KubeError).cause) === 404) return undefined;
          throw err;
        }
      },
      async create(r) {
        const { resourceVersion: _rv, ...fresh } = r;
        const body = toLease(o.namespace, name, fresh);
        return fromLease(await call("create", where, () => api.createNamespacedLease({ namespace: o.namespace, body })));
      },
      async update(r) {
        if (!r.resourceVersion) throw new KubeError(o.cluster, `update ${where}: no resourceVersion to base the write on`);
        const body = toLease(o.namespace, name, r);
        return fromLease(await call("update", where, () => api.replaceNamespacedLease({ name, namespace: o.namespace, body })));
      },
    };
  }

  return {
    namespace: o.namespace,
    client,
    async list(prefix) {
      const list = await call("list", `leases in ${o.namespace}`, () => api.listNamespacedLease({ namespace: o.namespace }));
      return (list.items ?? []).flatMap((l) => {
        const name = l.metadata?.name ?? "";
        return name.startsWith(prefix) ? [{ name, record: fromLease(l) }] : [];
      });
    },
    async remove(name, resourceVersion) {
      try {
        await call("delete", `lease ${o.namespace}/${name}`, () => api.deleteNamespacedLease({ name, namespace: o.namespace, body: { preconditions: { resourceVersion } } }));
      } catch (err) {
        if (statusCode((err as KubeError).cause) === 404) return;
        throw err;
      }
    },
  };
}
