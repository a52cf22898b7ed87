// What berth has sent, remembered on the cluster an event concerns: one
// ConfigMap `berth-notifications` in berth's own namespace there, holding the
// ids of delivered notifications with when (src/notify/event-id.ts), newest
// kept, bounded. A restarted berth or a new leader reads it before sending, so
// an event it derives again is not sent twice. Built on KubeClient's generic
// reads and server-side apply, so kube.ts does not grow.
import type { KubeClient } from "../kube.ts";
import { LABELS } from "../../model/labels.ts";
import { httpStatus } from "./call.ts";

export const NOTIFICATION_LOG = "berth-notifications";
/** Ids kept per cluster: about 60 bytes each, far below a ConfigMap's 1 MiB. */
export const MAX_SENT = 2000;

export interface SentLog {
  /** Every id remembered as sent (empty when nothing was sent yet). */
  read(): Promise<Set<string>>;
  /** Adds ids as sent now (re-reading and retrying when another writer came first); the oldest beyond `max` are forgotten. */
  add(ids: readonly string[]): Promise<void>;
}

type Kube = Pick<KubeClient, "getObject" | "applyObject" | "ensureNamespace">;

const FIELD_MANAGER = "berth-notifications";

function parse(cm: Record<string, unknown> | undefined): Record<string, string> {
  const raw = (cm?.data as Record<string, string> | undefined)?.sent;
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    // a record someone edited into something else remembers nothing
    return {};
  }
}

export function notificationLog(kube: Kube, namespace: string, max = MAX_SENT, now: () => Date = () => new Date()): SentLog {
  const get = () => kube.getObject("v1", "ConfigMap", namespace, NOTIFICATION_LOG);
  // this process's writes one at a time (another replica's are caught by resourceVersion)
  let writing: Promise<unknown> = Promise.resolve();
  return {
    async read() {
      return new Set(Object.keys(parse(await get())));
    },
    add(ids) {
      const run = writing.then(() => write(ids));
      writing = run.catch(() => undefined);
      return run;
    },
  };

  async function write(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      const cm = await get();
      if (!cm) await kube.ensureNamespace(namespace);
      const sent = parse(cm);
      const at = now().toISOString();
      for (const id of ids) sent[id] = at;
      const kept = Object.entries(sent)
        .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
        .slice(0, max);
      const resourceVersion = (cm?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
      try {
        await kube.applyObject(
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            // the version read: another writer in between makes this a conflict, read again
            metadata: { name: NOTIFICATION_LOG, namespace, labels: { [LABELS.managed]: "true" }, ...(resourceVersion ? { resourceVersion } : {}) },
            data: { sent: JSON.stringify(Object.fromEntries(kept.sort((a, b) => (a[0] < b[0] ? -1 : 1)))) },
          },
          { fieldManager: FIELD_MANAGER, force: true },
        );
        return;
      } catch (err) {
        if (httpStatus(err) !== 409 || attempt >= 4) throw err;
      }
    }
  }
}
