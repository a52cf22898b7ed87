// The webhook sink's signature: HMAC-SHA256 of the exact body bytes, hex, in
// X-Berth-Signature-256 as `sha256=<hex>` (GitHub's X-Hub-Signature-256 shape),
// so a receiver checks it as it checks a forge's.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-berth-signature-256";

export function signBody(body: string | Buffer, key: string): string {
  return `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
}

/** What a receiver does: the header matches the body under the shared key (constant time). */
export function verifySignature(body: string | Buffer, key: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(body, key));
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}
