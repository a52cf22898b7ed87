// A rollout restart the way `kubectl rollout restart` does it: the pod
// template's `kubectl.kubernetes.io/restartedAt` annotation set to now
// (RFC 3339), so the controller rolls every pod by its own update strategy.
// The manifest never sets that annotation, so drift (reconcile/drift.ts, which
// compares only what the manifest sets) does not see it, and a later helm
// upgrade leaves it where it is: its field manager (berth-restart) owns it.
import * as k8s from "@kubernetes/client-node";
import { BerthError } from "../../errors.ts";
import type { Call } from "./call.ts";

export const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
export const RESTART_FIELD_MANAGER = "berth-restart";

/** The workload kinds a rollout restart applies to (a Job or CronJob has no rollout). */
export const RESTARTABLE_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;
export type RestartableKind = (typeof RESTARTABLE_KINDS)[number];

export interface RestartTarget {
  kind: RestartableKind;
  namespace: string;
  name: string;
}

export interface WorkloadRestarter {
  /** Sets the pod template's restartedAt annotation to `at`; a paused Deployment is refused, as kubectl does. */
  restartWorkload(target: RestartTarget, at: Date, fieldManager?: string): Promise<void>;
}

/** `2024-05-02T09:30:00Z`: RFC 3339 to the second, as kubectl writes it (kubectl uses local time; UTC reads the same everywhere). */
export const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** The strategic-merge patch of a restart: only the one annotation, nothing else of the template. */
export function restartPatch(at: Date): { spec: { template: { metadata: { annotations: Record<string, string> } } } } {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: rfc3339(at) } } } } };
}

export const isRestartable = (kind: string): kind is RestartableKind => (RESTARTABLE_KINDS as readonly string[]).includes(kind);

const strategicMerge = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);

export function workloadRestarter(cluster: string, apps: k8s.AppsV1Api, call: Call): WorkloadRestarter {
  return {
    async restartWorkload(t, at, fieldManager = RESTART_FIELD_MANAGER) {
      const { name, namespace } = t;
      const body = restartPatch(at);
      const what = `restart ${t.kind} ${namespace}/${name}`;
      switch (t.kind) {
        case "Deployment": {
          const d = await call(`read Deployment ${namespace}/${name}`, () => apps.readNamespacedDeployment({ name, namespace }));
          // kubectl refuses too: a paused Deployment would take the new template and roll nothing.
          if (d.spec?.paused) throw new BerthError("INVALID_INPUT", `cluster ${cluster}: Deployment ${namespace}/${name} is paused (spec.paused): resume its rollout first; nothing was restarted`);
          await call(what, () => apps.patchNamespacedDeployment({ name, namespace, body, fieldManager }, strategicMerge));
          return;
        }
        case "StatefulSet":
          await call(what, () => apps.patchNamespacedStatefulSet({ name, namespace, body, fieldManager }, strategicMerge));
          return;
        case "DaemonSet":
          await call(what, () => apps.patchNamespacedDaemonSet({ name, namespace, body, fieldManager }, strategicMerge));
          return;
      }
    },
  };
}
