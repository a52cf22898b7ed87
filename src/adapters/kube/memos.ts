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
  return {
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
        if (httpStatus(err) !== 404) throw err;
        await call("create memo", () => core.createNamespacedConfigMap({ namespace, body }));
      }
    },
  };
}
