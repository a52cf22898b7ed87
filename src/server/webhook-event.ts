// What a verified webhook delivery asks for (pure): a push to the ref berth
// follows starts a pass; any other event, a push to another ref, a deletion
// or a body that is no push payload is ignored, with the reason the forge
// shows in its delivery log. The payload only decides *whether* to fetch:
// what is applied still comes from the fetch itself.
import type { IncomingMessage } from "node:http";

export type Provider = "github" | "gitea" | "gitlab";

/** The ref berth follows, as the operator gave it (--ref): undefined for the remote's default branch. */
export interface Followed {
  ref?: string;
}

export type Decision = { act: true; ref: string } | { act: false; reason: string };

const header = (h: IncomingMessage["headers"], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

// Header values are the sender's: keep what is logged or answered short and printable.
const clean = (v: string | undefined): string | undefined => (v === undefined ? undefined : v.replace(/[^\x20-\x7e]/g, "?").slice(0, 100));

const EVENT_HEADER: Record<Provider, string> = { github: "x-github-event", gitea: "x-gitea-event", gitlab: "x-gitlab-event" };
const DELIVERY_HEADER: Record<Provider, string> = { github: "x-github-delivery", gitea: "x-gitea-delivery", gitlab: "x-gitlab-event-uuid" };
const PUSH_EVENTS: Record<Provider, readonly string[]> = { github: ["push"], gitea: ["push"], gitlab: ["Push Hook", "Tag Push Hook"] };

/** The provider's event name (`push`, `issues`, `Push Hook`…), from its own header. */
export function eventName(headers: IncomingMessage["headers"], provider: Provider): string | undefined {
  return clean(header(headers, EVENT_HEADER[provider]));
}

/** The provider's id of this delivery (what its delivery log shows), for the log line. */
export function deliveryId(headers: IncomingMessage["headers"], provider: Provider): string | undefined {
  return clean(header(headers, DELIVERY_HEADER[provider]));
}

/**
 * Who sent a delivery that could not be verified, from its headers alone
 * (for the metrics label; never trusted for anything else).
 */
export function claimedProvider(headers: IncomingMessage["headers"]): Provider | "unknown" {
  if (header(headers, "x-gitea-event") !== undefined || header(headers, "x-gitea-signature") !== undefined) return "gitea";
  if (header(headers, "x-gitlab-event") !== undefined || header(headers, "x-gitlab-token") !== undefined) return "gitlab";
  if (header(headers, "x-github-event") !== undefined || header(headers, "x-hub-signature-256") !== undefined) return "github";
  return "unknown";
}

/** A ping (GitHub, Gitea on creation) proves the secret but asks for no fetch. */
export function isPing(headers: IncomingMessage["headers"], provider: Provider): boolean {
  return eventName(headers, provider) === "ping";
}

type Payload = { ref?: unknown; after?: unknown; deleted?: unknown; repository?: { default_branch?: unknown }; project?: { default_branch?: unknown } };

/**
 * The JSON payload: the body itself, or GitHub's form encoding
 * (`payload=<urlencoded JSON>`, a hook whose content type is form).
 */
function parsePayload(body: Buffer): Payload | string {
  let text = body.toString("utf8").trim();
  if (text === "") return "empty body; a push event carries its payload as JSON";
  if (text.startsWith("payload=")) {
    try {
      text = new URLSearchParams(text).get("payload") ?? "";
    } catch {
      return "the form-encoded body holds no readable payload field";
    }
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "the body is JSON but not an object; a push event's payload is an object with a ref";
    return parsed as Payload;
  } catch {
    return "the body is not JSON; configure the webhook with content type application/json";
  }
}

const FULL_SHA = /^[0-9a-f]{40}$/i;

/** What the payload's `ref` must be for berth to act, and how to say it. */
function matcher(followed: Followed, payload: Payload): { matches(ref: string): boolean; describe: string } | string {
  const given = followed.ref === "HEAD" ? undefined : followed.ref;
  if (given === undefined) {
    const branch = payload.repository?.default_branch ?? payload.project?.default_branch;
    if (typeof branch !== "string" || branch === "") {
      return "berth follows the remote's default branch, and the payload names none (repository.default_branch)";
    }
    const ref = `refs/heads/${branch}`;
    return { matches: (r) => r === ref, describe: `the default branch, ${ref}` };
  }
  if (FULL_SHA.test(given)) return `berth follows commit ${given}, which no push moves`;
  if (given.startsWith("refs/")) return { matches: (r) => r === given, describe: given };
  const refs = [`refs/heads/${given}`, `refs/tags/${given}`];
  return { matches: (r) => refs.includes(r), describe: `${refs[0]} (or the tag ${refs[1]})` };
}

/** Whether a verified delivery is a push to the followed ref. */
export function decide(headers: IncomingMessage["headers"], provider: Provider, body: Buffer, followed: Followed): Decision {
  const event = eventName(headers, provider);
  if (event === undefined) return { act: false, reason: `no ${EVENT_HEADER[provider]} header; berth acts on push events only` };
  if (!PUSH_EVENTS[provider].includes(event)) {
    return { act: false, reason: `event ${event} is not a push; berth acts on ${PUSH_EVENTS[provider].join(" and ")} events only` };
  }
  const payload = parsePayload(body);
  if (typeof payload === "string") return { act: false, reason: payload };
  if (typeof payload.ref !== "string" || payload.ref === "") return { act: false, reason: "the push payload has no ref" };
  const ref = payload.ref;
  if (payload.deleted === true || (typeof payload.after === "string" && /^0+$/.test(payload.after))) {
    return { act: false, reason: `the push deletes ${clean(ref)}; there is nothing to fetch` };
  }
  const m = matcher(followed, payload);
  if (typeof m === "string") return { act: false, reason: m };
  if (!m.matches(ref)) return { act: false, reason: `push to ${clean(ref)}; berth follows ${m.describe}` };
  return { act: true, ref };
}
