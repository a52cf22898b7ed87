// POST /hooks/git: a delivery from GitHub, Gitea or GitLab, verified with the
// shared secret; a push to the ref berth follows triggers a fetch of the
// configured source, anything else is answered 202 `ignored` with the reason
// (webhook-event.ts). The payload only decides whether to fetch, never what
// to apply. Bodies are read up to a limit; the secret and the body are never logged.
import { createHmac, createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "../log.ts";
import { ErrorBody, WebhookHeaders, WebhookResult } from "./api-schemas.ts";
import { BodyTooLarge, readBody } from "./body.ts";
import { defineRoute, type Route } from "./router.ts";
import { claimedProvider, decide, deliveryId, eventName, isPing, type Followed, type Provider } from "./webhook-event.ts";

export { BodyTooLarge, readBody };
export type { Provider };

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export type Verdict = { ok: true; provider: Provider } | { ok: false; reason: string };

const header = (h: IncomingMessage["headers"], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Equal-length digests compared in constant time, so neither content nor length leaks. */
function sameSecret(a: string | Buffer, b: string | Buffer): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

const hmacHex = (secret: string, body: Buffer) => createHmac("sha256", secret).update(body).digest("hex");

/**
 * Checks the request against every provider's scheme, in this order:
 * GitHub `X-Hub-Signature-256: sha256=<hex>` (Gitea sends it too),
 * Gitea `X-Gitea-Signature: <hex>`, GitLab `X-Gitlab-Token: <secret>`.
 */
export function verifyPush(headers: IncomingMessage["headers"], body: Buffer, secret: string | undefined): Verdict {
  if (!secret) return { ok: false, reason: "the webhook is disabled: no secret configured (--webhook-secret-file or BERTH_WEBHOOK_SECRET)" };
  const hub = header(headers, "x-hub-signature-256");
  if (hub !== undefined) {
    const given = hub.startsWith("sha256=") ? hub.slice(7).toLowerCase() : "";
    return sameSecret(given, hmacHex(secret, body))
      ? { ok: true, provider: header(headers, "x-gitea-event") ? "gitea" : "github" }
      : { ok: false, reason: "X-Hub-Signature-256 does not match the body signed with the secret" };
  }
  const gitea = header(headers, "x-gitea-signature");
  if (gitea !== undefined) {
    return sameSecret(gitea.toLowerCase(), hmacHex(secret, body)) ? { ok: true, provider: "gitea" } : { ok: false, reason: "X-Gitea-Signature does not match the body signed with the secret" };
  }
  const token = header(headers, "x-gitlab-token");
  if (token !== undefined) {
    return sameSecret(token, secret) ? { ok: true, provider: "gitlab" } : { ok: false, reason: "X-Gitlab-Token is not the configured secret" };
  }
  return { ok: false, reason: "no signature: expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token" };
}

/** What became of one delivery, for berth_webhook_deliveries_total. */
export type DeliveryOutcome = "accepted" | "ignored" | "rejected";

export interface WebhookOptions {
  /** Read on every request, so a rotated secret file takes effect without a restart. */
  secret(): string | undefined;
  trigger(): void;
  log: Logger;
  bodyLimit?: number;
  /** The ref berth follows (--ref); absent: the remote's default branch. */
  followed?: Followed;
  /** Counts each delivery by provider (`unknown` when unverified and unnamed) and outcome. */
  onDelivery?(provider: Provider | "unknown", outcome: DeliveryOutcome): void;
}

export function webhookRoute(o: WebhookOptions): Route {
  const limit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  return defineRoute({
    method: "POST",
    path: "/hooks/git",
    summary: "Push webhook (GitHub, Gitea, GitLab): verified with the shared secret; a push to the followed ref triggers a fetch of the source, other deliveries are ignored",
    // Its own HMAC secret stands in for a token: forges cannot send one.
    access: "public",
    headers: WebhookHeaders,
    rawBody: { contentType: "application/json", description: "The forge's event; only its ref (and the default branch it names) is read, to decide whether to fetch" },
    responses: {
      200: { description: "A ping: verified, nothing triggered", schema: WebhookResult },
      202: { description: "Verified: a push to the followed ref triggers a fetch (`triggered: true`); any other event, ref or body is `ignored: true` with the `reason`", schema: WebhookResult },
      401: { description: "Missing or wrong signature: nothing triggered", schema: ErrorBody },
      413: { description: "Body over the size limit", schema: ErrorBody },
    },
    async handle({ req, res, send }) {
      const count = (provider: Provider | "unknown", outcome: DeliveryOutcome) => o.onDelivery?.(provider, outcome);
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        o.log.warn({ limit }, "webhook body too large; rejected");
        count(claimedProvider(req.headers), "rejected");
        // Close the connection instead of draining what the client still sends.
        res.once("finish", () => req.socket.destroy());
        return send(413, { error: err.message }, { connection: "close" });
      }
      const verdict = verifyPush(req.headers, body, o.secret());
      if (!verdict.ok) {
        // what the sender claims to be, so a forge's failing deliveries can be found in its log
        const claimed = claimedProvider(req.headers);
        const named = claimed === "unknown" ? {} : { event: eventName(req.headers, claimed), delivery: deliveryId(req.headers, claimed) };
        o.log.warn({ provider: claimed, ...named, reason: verdict.reason }, "webhook rejected");
        count(claimed, "rejected");
        return send(401, { error: verdict.reason });
      }
      const { provider } = verdict;
      const seen = { provider, event: eventName(req.headers, provider), delivery: deliveryId(req.headers, provider) };
      if (isPing(req.headers, provider)) {
        o.log.info(seen, "webhook ping; nothing to fetch");
        count(provider, "ignored");
        return send(200, { triggered: false, provider, message: "pong" });
      }
      const decision = decide(req.headers, provider, body, o.followed ?? {});
      if (!decision.act) {
        o.log.info({ ...seen, reason: decision.reason }, "webhook ignored");
        count(provider, "ignored");
        return send(202, { triggered: false, ignored: true, provider, reason: decision.reason });
      }
      o.trigger();
      o.log.info({ ...seen, ref: decision.ref }, "webhook accepted; fetching the source");
      count(provider, "accepted");
      send(202, { triggered: true, provider, ref: decision.ref });
    },
  });
}
