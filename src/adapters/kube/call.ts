// One bounded API call: every request to a cluster goes through here, so a
// hung API server fails the call instead of holding berth.
import { KubeError } from "../../errors.ts";

export type Call = <T>(what: string, p: () => Promise<T>, ms?: number) => Promise<T>;

export function makeCall(cluster: string, defaultMs: number): Call {
  return async function call<T>(what: string, p: () => Promise<T>, ms = defaultMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new KubeError(cluster, `${what}: no answer within ${ms} ms`)), ms);
        }),
      ]);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      const body = (err as { body?: unknown }).body;
      const detail = typeof body === "string" ? body : (err as Error).message;
      throw new KubeError(cluster, `${what}: ${detail}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The HTTP status of a failed call (KubeError wraps client-node's error as its cause). */
export const httpStatus = (err: unknown): number | undefined => (err as { cause?: { code?: number } }).cause?.code;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
