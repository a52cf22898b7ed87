// One HTTP POST of a notification: bounded in time, never following a
// redirect (it could lead where the operator did not allow), and failing with
// a NotifyError that names the sink by kind and host and the status only —
// never the URL's path, a header or what the receiver answered.
import { NotifyError } from "../errors.ts";
import type { OutgoingRequest } from "./commit-status.ts";

export type Post = (req: OutgoingRequest, opts: { label: string; timeoutMs: number }) => Promise<void>;

/** A status worth trying again: the receiver is down, busy or slow. */
const RETRYABLE = (status: number) => status >= 500 || status === 429 || status === 408;

export const post: Post = async (req, { label, timeoutMs }) => {
  let res: Response;
  try {
    res = await fetch(req.url, { method: "POST", headers: req.headers, body: req.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === "TimeoutError" || e.name === "AbortError" ? `no answer within ${timeoutMs} ms` : `could not connect (${e.cause?.code ?? e.name})`;
    throw new NotifyError(label, why, { retryable: true });
  }
  // the answer is read and dropped: it is the receiver's, and may echo what was sent
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return;
  if (res.status >= 300 && res.status < 400) throw new NotifyError(label, `answered ${res.status} (a redirect, not followed: allow the final URL instead)`, { status: res.status, retryable: false });
  throw new NotifyError(label, `answered ${res.status}`, { status: res.status, retryable: RETRYABLE(res.status) });
};
