// The id of one delivery: which Notification, which of its sinks, which event.
// It is what berth remembers as sent (on the cluster the event concerns), so a
// restart or a new leader deriving the same event again does not send it twice,
// and what a receiver gets (X-Berth-Event-Id, the body's `id`) to drop the rare
// duplicate of a delivery whose record could not be written.
import { createHash } from "node:crypto";
import { canonical } from "../model/canonical.ts";
import type { NotificationSink } from "../model/types.ts";

/**
 * A sink's identity: its kind and where it posts, not its position in the
 * list, so reordering sinks or adding one sends nothing again.
 */
export function sinkFingerprint(sink: NotificationSink): string {
  return createHash("sha256").update(canonical(sink)).digest("hex").slice(0, 16);
}

/** 32 hex characters: the Notification's name, the sink and the event's key (events.ts says what makes a key). */
export function eventId(notification: string, sink: NotificationSink, key: string): string {
  return createHash("sha256").update(`${notification}\u0000${sinkFingerprint(sink)}\u0000${key}`).digest("hex").slice(0, 32);
}
