// The Events of a release's objects and pods (their involvedObject), newest
// first and bounded. One paged list of a namespace's Events (they live an hour
// by default, so a namespace holds few) filtered here, rather than one call
// per object, pod and ReplicaSet.
import type * as k8s from "@kubernetes/client-node";
import type { Call } from "./call.ts";

/** An object whose Events are wanted: kind and name (a pod re-created under its name keeps its history). */
export interface InvolvedRef {
  kind: string;
  name: string;
}

export interface EventSummary {
  /** Normal or Warning. */
  type: string;
  reason: string;
  message: string;
  /** How often it happened (1 for a single event). */
  count: number;
  firstTime?: string;
  lastTime?: string;
  object: { kind: string; name: string; namespace?: string };
  /** Who reported it (`deployment-controller`, `kubelet`). */
  source?: string;
}

export interface EventPage {
  /** Newest first, at most the limit. */
  events: EventSummary[];
  /** More matched than the limit, or the namespace held more Events than berth reads at once. */
  truncated: boolean;
}

export interface ObjectEvents {
  /** The Events in `namespace` of the objects `involved` names, newest first, at most `limit`. */
  objectEvents(namespace: string, involved: readonly InvolvedRef[], limit: number): Promise<EventPage>;
}

/** The fields of a core/v1 Event read here (client-node's V1Event or plain JSON). */
export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: Date | string;
  lastTimestamp?: Date | string;
  eventTime?: Date | string;
  series?: { count?: number; lastObservedTime?: Date | string };
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  source?: { component?: string };
  reportingComponent?: string;
  metadata?: { creationTimestamp?: Date | string };
}

const iso = (t: Date | string | undefined) => (t === undefined || t === null ? undefined : new Date(t).toISOString());

/** Pure: when it last happened; events.k8s.io-style Events have eventTime and a series instead of lastTimestamp. */
export const lastTimeOf = (e: EventLike): string | undefined => iso(e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.metadata?.creationTimestamp);

export function summarizeEvent(e: EventLike): EventSummary {
  const io = e.involvedObject ?? {};
  const first = iso(e.firstTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp);
  const last = lastTimeOf(e);
  const source = e.source?.component || e.reportingComponent;
  return {
    type: e.type ?? "Normal",
    reason: e.reason ?? "",
    message: e.message ?? "",
    count: e.count ?? e.series?.count ?? 1,
    ...(first ? { firstTime: first } : {}),
    ...(last ? { lastTime: last } : {}),
    object: { kind: io.kind ?? "", name: io.name ?? "", ...(io.namespace ? { namespace: io.namespace } : {}) },
    ...(source ? { source } : {}),
  };
}

const eventKey = (e: EventSummary) => `${e.object.kind}/${e.object.name}/${e.reason}`;

/** Newest first; equal times by object and reason, so one order is kept. */
export const newestFirst = (a: EventSummary, b: EventSummary): number => (b.lastTime ?? "").localeCompare(a.lastTime ?? "") || eventKey(a).localeCompare(eventKey(b));

/** Pure: the Events of `involved` among `events`, newest first (then by object and reason, so equal times keep one order), at most `limit`. */
export function selectEvents(events: readonly EventLike[], involved: readonly InvolvedRef[], limit: number): EventPage {
  const wanted = new Set(involved.map((r) => `${r.kind}/${r.name}`));
  const mine = events.filter((e) => wanted.has(`${e.involvedObject?.kind}/${e.involvedObject?.name}`)).map(summarizeEvent);
  mine.sort(newestFirst);
  const n = Math.max(0, Math.floor(limit));
  return { events: mine.slice(0, n), truncated: mine.length > n };
}

export interface ObjectEventsOptions {
  core: k8s.CoreV1Api;
  call: Call;
  /** Events per list call; default 500. */
  pageSize?: number;
  /** List calls per namespace at most; default 10 (so 5,000 Events). */
  maxPages?: number;
}

export function objectEvents(o: ObjectEventsOptions): ObjectEvents {
  const pageSize = o.pageSize ?? 500;
  const maxPages = o.maxPages ?? 10;
  return {
    async objectEvents(namespace, involved, limit) {
      const items: k8s.CoreV1Event[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await o.call(`list events in namespace ${namespace}`, () =>
          o.core.listNamespacedEvent({ namespace, limit: pageSize, ...(token ? { _continue: token } : {}) }),
        );
        items.push(...page.items);
        token = page.metadata?._continue || undefined;
        pages++;
      } while (token && pages < maxPages);
      const picked = selectEvents(items, involved, limit);
      return token ? { ...picked, truncated: true } : picked;
    },
  };
}
