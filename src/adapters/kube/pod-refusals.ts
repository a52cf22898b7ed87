// Why a release's pods were never created: the API server refused them (Pod
// Security admission, a quota, a webhook), and the controller that tried says
// so only in a FailedCreate Event on its ReplicaSet, StatefulSet, DaemonSet or
// Job. helm --wait sees none of it ("context deadline exceeded"); berth reads
// those Events so a failed release is reported in Kubernetes' own words.
import type * as k8s from "@kubernetes/client-node";
import type { Call } from "./call.ts";

export interface PodRefusals {
  /**
   * The latest FailedCreate message of each controller of `release` (its name,
   * or its name followed by `-`, as Helm charts name their objects) since `since`,
   * as `<Kind> <name>: <message>`; empty when there is none or they cannot be read.
   */
  podRefusals(namespace: string, release: string, since: Date): Promise<string[]>;
}

/** The fields of a core/v1 Event the rule reads. */
export interface RefusalEvent {
  involvedObject?: { kind?: string; name?: string };
  message?: string;
  lastTimestamp?: Date | string;
  eventTime?: Date | string;
  metadata?: { creationTimestamp?: Date | string };
}

const CONTROLLERS = new Set(["ReplicaSet", "StatefulSet", "DaemonSet", "Job"]);

const timeOf = (e: RefusalEvent): number => {
  const t = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
};

/** Pure: the refusals among `events` that belong to `release` and happened at or after `since`, newest per controller. */
export function refusalMessages(events: readonly RefusalEvent[], release: string, since: Date): string[] {
  const latest = new Map<string, { at: number; message: string }>();
  for (const e of events) {
    const kind = e.involvedObject?.kind ?? "";
    const name = e.involvedObject?.name ?? "";
    if (!CONTROLLERS.has(kind) || !(name === release || name.startsWith(`${release}-`)) || !e.message) continue;
    const at = timeOf(e);
    // Event times have a second's resolution: an event of the same second counts
    if (at < Math.floor(since.getTime() / 1000) * 1000) continue;
    const key = `${kind} ${name}`;
    const had = latest.get(key);
    if (!had || had.at <= at) latest.set(key, { at, message: e.message });
  }
  return [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, { message }]) => `${key}: ${message}`);
}

export function podRefusals(core: k8s.CoreV1Api, call: Call): PodRefusals {
  return {
    async podRefusals(namespace, release, since) {
      try {
        const list = await call("list FailedCreate events", () => core.listNamespacedEvent({ namespace, fieldSelector: "reason=FailedCreate" }));
        return refusalMessages(list.items, release, since);
      } catch {
        // only an explanation: a failure to read it leaves the error as helm gave it
        return [];
      }
    },
  };
}
