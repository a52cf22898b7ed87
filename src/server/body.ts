// Reading a request body up to a limit: the webhook (raw bytes for its HMAC)
// and routes with a JSON body (the router) both use it.
import type { IncomingMessage } from "node:http";

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
