// berth's own memory of each release (retry state, suspension, history), one
// ConfigMap beside the release, listed in one call per loop.
import type * as k8s from "@kubernetes/client-node";
import { LABELS } from "../../model/labels.ts";
import { httpStatus, type Call } from "./call.ts";

export interface MemoStore {
  /** berth's memo ConfigMaps (one per release), in one call: namespace/release -> data. */
  listMemos(): Promise<Map<string, Record<string, string>>>;
  writeMemo(namespace: string, release: string, data: Record<string, string>): Promise<void>;
}

export function memoStore(core: k8s.CoreV1Api, call: Call): MemoStore {
  // Memos seen (listed or written): one is replaced, any other created first,
  // so a new release's memo costs one request, not a 404 and then a create.
  const seen = new Set<string>();
  return {
    async listMemos() {
      const list = await call("list berth memos", () => core.listConfigMapForAllNamespaces({ labelSelector: `${LABELS.memo}=true` }));
      const out = new Map<string, Record<string, string>>();
      seen.clear();
      for (const cm of list.items) {
        const rel = cm.metadata?.labels?.[LABELS.release];
        if (rel && cm.metadata?.namespace) out.set(`${cm.metadata.namespace}/${rel}`, cm.data ?? {});
        if (cm.metadata?.namespace && cm.metadata.name) seen.add(`${cm.metadata.namespace}/${cm.metadata.name}`);
      }
      return out;
    },
    async writeMemo(namespace, release, data) {
      const name = `berth-memo-${release}`;
      const body: k8s.V1ConfigMap = {
        metadata: { name, namespace, labels: { [LABELS.memo]: "true", [LABELS.release]: release } },
        data,
      };
      const replace = () => call("write memo", () => core.replaceNamespacedConfigMap({ name, namespace, body }));
      const create = () => call("create memo", () => core.createNamespacedConfigMap({ namespace, body }));
      const key = `${namespace}/${name}`;
      const [first, then, refused] = seen.has(key) ? [replace, create, 404] : [create, replace, 409];
      try {
        await first();
      } catch (err) {
        // deleted since it was seen, or made since the list: the other call
        if (httpStatus(err) !== refused) throw err;
        await then();
      }
      seen.add(key);
    },
  };
}
