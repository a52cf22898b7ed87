// POST /hooks/git: a push from GitHub, Gitea or GitLab, verified with the
// shared secret, triggers a fetch of the configured source (nothing else: the
// payload is never trusted for what to apply). Bodies are read up to a limit.
import { createHmac, createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "../log.ts";
import { ErrorBody, WebhookHeaders, WebhookResult } from "./api-schemas.ts";
import { BodyTooLarge, readBody } from "./body.ts";
import { defineRoute, type Route } from "./router.ts";

export { BodyTooLarge, readBody };

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export type Provider = "github" | "gitea" | "gitlab";

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

/** A ping (GitHub, Gitea on creation) proves the secret but asks for no fetch. */
function isPing(headers: IncomingMessage["headers"]): boolean {
  return header(headers, "x-github-event") === "ping" || header(headers, "x-gitea-event") === "ping";
}

export interface WebhookOptions {
  /** Read on every request, so a rotated secret file takes effect without a restart. */
  secret(): string | undefined;
  trigger(): void;
  log: Logger;
  bodyLimit?: number;
}

export function webhookRoute(o: WebhookOptions): Route {
  const limit = o.bodyLimit ?? DEFAULT_BODY_LIMIT;
  return defineRoute({
    method: "POST",
    path: "/hooks/git",
    summary: "Push webhook (GitHub, Gitea, GitLab): verified with the shared secret, triggers a fetch of the source",
    // Its own HMAC secret stands in for a token: forges cannot send one.
    access: "public",
    headers: WebhookHeaders,
    rawBody: { contentType: "application/json", description: "The forge's push event; never read for what to apply" },
    responses: {
      200: { description: "A ping: verified, nothing triggered", schema: WebhookResult },
      202: { description: "Verified: a fetch is triggered", schema: WebhookResult },
      401: { description: "Missing or wrong signature: nothing triggered", schema: ErrorBody },
      413: { description: "Body over the size limit", schema: ErrorBody },
    },
    async handle({ req, res, send }) {
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        o.log.warn({ limit }, "webhook body too large; rejected");
        // Close the connection instead of draining what the client still sends.
        res.once("finish", () => req.socket.destroy());
        return send(413, { error: err.message }, { connection: "close" });
      }
      const verdict = verifyPush(req.headers, body, o.secret());
      if (!verdict.ok) {
        o.log.warn({ reason: verdict.reason }, "webhook rejected");
        return send(401, { error: verdict.reason });
      }
      if (isPing(req.headers)) return send(200, { triggered: false, provider: verdict.provider, message: "pong" });
      o.trigger();
      o.log.info({ provider: verdict.provider }, "webhook accepted; fetching the source");
      send(202, { triggered: true, provider: verdict.provider });
    },
  });
}
