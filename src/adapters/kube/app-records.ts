// berth's record of each application on a cluster: the prune setting of the
// latest revision that declared it, so that a restarted berth or another
// replica still knows it once the application is removed from git. One small
// ConfigMap per application (`berth-app-<application>`), listed in one call.
import type * as k8s from "@kubernetes/client-node";
import { LABELS } from "../../model/labels.ts";
import type { AppRecord } from "../../plan/prune.ts";
import { httpStatus, type Call } from "./call.ts";

export interface AppRecordStore {
  /** Every application record on the cluster, in one call (maybe two of one application, in two namespaces). */
  listAppRecords(): Promise<AppRecord[]>;
  /** Creates or replaces the record of `application` in `namespace` (which must exist). */
  writeAppRecord(record: AppRecord): Promise<void>;
}

export const appRecordName = (application: string) => `berth-app-${application}`;

export function appRecordStore(core: k8s.CoreV1Api, call: Call): AppRecordStore {
  return {
    async listAppRecords() {
      const list = await call("list berth application records", () =>
        core.listConfigMapForAllNamespaces({ labelSelector: `${LABELS.appRecord}=true` }),
      );
      const out: AppRecord[] = [];
      for (const cm of list.items ?? []) {
        const application = cm.metadata?.labels?.[LABELS.application];
        const namespace = cm.metadata?.namespace;
        const prune = cm.data?.prune;
        // A record someone edited into something else says nothing; the release labels decide then.
        if (!application || !namespace || (prune !== "true" && prune !== "false")) continue;
        out.push({
          application,
          namespace,
          prune: prune === "true",
          ...(cm.data?.commit ? { commit: cm.data.commit } : {}),
          ...(cm.data?.writtenAt ? { writtenAt: cm.data.writtenAt } : {}),
        });
      }
      return out;
    },
    async writeAppRecord(r) {
      const name = appRecordName(r.application);
      const body: k8s.V1ConfigMap = {
        metadata: { name, namespace: r.namespace, labels: { [LABELS.appRecord]: "true", [LABELS.application]: r.application } },
        data: {
          prune: String(r.prune),
          ...(r.commit ? { commit: r.commit } : {}),
          ...(r.writtenAt ? { writtenAt: r.writtenAt } : {}),
        },
      };
      try {
        await call("write application record", () => core.replaceNamespacedConfigMap({ name, namespace: r.namespace, body }));
      } catch (err) {
        if (httpStatus(err) !== 404) throw err;
        await call("create application record", () => core.createNamespacedConfigMap({ namespace: r.namespace, body }));
      }
    },
  };
}
