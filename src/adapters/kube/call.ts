// One bounded API call: every request to a cluster goes through here, so a
// hung API server fails the call instead of holding berth. The bound really
// ends the HTTP request (an AbortSignal reaches client-node's fetch through
// callSignal), so no socket to a stopped server keeps the process alive.
import { AsyncLocalStorage } from "node:async_hooks";
import type * as k8s from "@kubernetes/client-node";
import { KubeError } from "../../errors.ts";

export type Call = <T>(what: string, p: () => Promise<T>, ms?: number) => Promise<T>;

/** The signal of the call a request is made in; kube.ts hands it to every request's context. */
export const callSignal = new AsyncLocalStorage<AbortSignal>();

/** Every request made through `kc` carries the signal of the call it is made in. */
export function abortWithCall(kc: k8s.KubeConfig): void {
  const applyAuth = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx) => {
    await applyAuth(ctx);
    const signal = callSignal.getStore();
    if (signal) ctx.setSignal(signal);
  };
}

export function makeCall(cluster: string, defaultMs: number): Call {
  return async function call<T>(what: string, p: () => Promise<T>, ms = defaultMs): Promise<T> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        callSignal.run(abort.signal, p),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const err = new KubeError(cluster, `${what}: no answer within ${ms} ms`);
            abort.abort(err);
            reject(err);
          }, ms);
        }),
      ]);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === "string" ? statusMessage(body) : (err as Error).message;
      throw new KubeError(cluster, `${what}: ${detail}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The API server's own sentence from a Status body (`jobs.batch is forbidden: User "…" cannot create…`); any other body as it is. */
function statusMessage(body: string): string {
  try {
    const s = JSON.parse(body) as { kind?: unknown; message?: unknown };
    if (s.kind === "Status" && typeof s.message === "string" && s.message) return s.message;
  } catch {
    // not JSON: keep the text
  }
  return body;
}

/** The HTTP status of a failed call (KubeError wraps client-node's error as its cause). */
export const httpStatus = (err: unknown): number | undefined => (err as { cause?: { code?: number } }).cause?.code;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
