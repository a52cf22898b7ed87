// What a receiver reads: the webhook's JSON body and Slack's one line of text.
// Built from the event alone; nothing of a sink's URL, key or token.
import type { NotifyEvent } from "./events.ts";

/** The webhook body: the event's fields (without its internal key), its id and the Notification that sent it. */
export type WebhookBody = Omit<NotifyEvent, "key"> & { id: string; notification: string };

export function webhookBody(id: string, notification: string, e: NotifyEvent): WebhookBody {
  const { key: _key, ...fields } = e;
  return { id, notification, ...fields };
}

const VERB: Record<NotifyEvent["event"], string> = {
  failed: "failed",
  blocked: "is blocked",
  succeeded: "succeeded",
  drift: "drifted",
  "waiting-approval": "waits for approval",
};

/** One line for a chat: what, where, at which commit, and why. */
export function slackText(e: NotifyEvent): string {
  const what = e.event === "waiting-approval" ? `${e.application ?? "?"} wave ${e.wave ?? "?"} (${(e.clusters ?? [e.cluster]).join(", ")})` : `${e.release ?? e.application ?? "?"} on ${e.cluster}`;
  const move = e.action ? ` — ${e.action}${e.fromVersion || e.toVersion ? ` ${e.fromVersion ?? "-"} → ${e.toVersion ?? "-"}` : ""}` : "";
  const at = e.revision ? ` at ${e.revision.slice(0, 12)}` : "";
  const why = e.reason && e.event !== "succeeded" ? `: ${e.reason.length > 500 ? `${e.reason.slice(0, 499)}…` : e.reason}` : "";
  const icon = e.event === "succeeded" ? ":white_check_mark:" : e.event === "waiting-approval" ? ":hourglass:" : e.event === "drift" ? ":warning:" : ":x:";
  return `${icon} berth: ${what} ${VERB[e.event]}${move}${at}${why}`;
}
