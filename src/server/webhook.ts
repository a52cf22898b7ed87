// POST /hooks/git: a push from GitHub, Gitea or GitLab, verified with the
// shared secret, triggers a fetch of the configured source (nothing else: the
// payload is never trusted for what to apply). Bodies are read up to a limit.
import { createHmac, createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Logger } from "../log.ts";
import { sendJson, type Route } from "./router.ts";

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

export class BodyTooLarge extends Error {}

/** Reads the body, failing as soon as it passes `limit` bytes (before reading at all when Content-Length says so). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge(`body of ${declared} bytes is over the limit of ${limit}`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        reject(new BodyTooLarge(`body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
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
  return {
    method: "POST",
    path: "/hooks/git",
    async handle({ req, res }) {
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (err) {
        if (!(err instanceof BodyTooLarge)) throw err;
        o.log.warn({ limit }, "webhook body too large; rejected");
        // Close the connection instead of draining what the client still sends.
        res.once("finish", () => req.socket.destroy());
        return sendJson(res, 413, { error: err.message }, { connection: "close" });
      }
      const verdict = verifyPush(req.headers, body, o.secret());
      if (!verdict.ok) {
        o.log.warn({ reason: verdict.reason }, "webhook rejected");
        return sendJson(res, 401, { error: verdict.reason });
      }
      if (isPing(req.headers)) return sendJson(res, 200, { triggered: false, provider: verdict.provider, message: "pong" });
      o.trigger();
      o.log.info({ provider: verdict.provider }, "webhook accepted; fetching the source");
      sendJson(res, 202, { triggered: true, provider: verdict.provider });
    },
  };
}
