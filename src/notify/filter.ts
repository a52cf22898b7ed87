// Who hears of what: a Notification's applications, clusters and events.
// Pure. Absent lists mean all; `on` defaults to every event but drift, which
// a team asks for by name (a drift check runs every few minutes).
import type { Notification, NotificationEvent } from "../model/types.ts";
import type { NotifyEvent } from "./events.ts";

export const DEFAULT_EVENTS: readonly NotificationEvent[] = ["failed", "blocked", "waiting-approval", "succeeded"];

export const eventsOf = (n: Notification): readonly NotificationEvent[] => n.spec.on ?? DEFAULT_EVENTS;

/** Whether the Notification names this cluster (or names none). */
export const wantsCluster = (n: Notification, cluster: string): boolean => !n.spec.clusters || n.spec.clusters.includes(cluster);

/** Whether the Notification names this application (or names none); an event of no application only reaches those that name none. */
export const wantsApplication = (n: Notification, application: string | undefined): boolean =>
  !n.spec.applications || (application !== undefined && n.spec.applications.includes(application));

export function matches(n: Notification, e: NotifyEvent): boolean {
  if (!eventsOf(n).includes(e.event)) return false;
  if (!wantsApplication(n, e.application)) return false;
  return (e.clusters ?? [e.cluster]).some((c) => wantsCluster(n, c));
}
