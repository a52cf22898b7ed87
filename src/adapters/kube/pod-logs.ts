// A container's logs, read through the API server (which asks the pod's node,
// its kubelet, for them): a bounded read (tail lines, bytes, since), or a
// follow as an async iterable of text that ends when the caller aborts, the
// container's log ends, or the bounds pass. Which pod may be read is decided
// before any call here (reconcile/inspect.ts reads only the release's pods).
import { PassThrough, type Readable, type Writable } from "node:stream";
import type * as k8s from "@kubernetes/client-node";
import { KubeError } from "../../errors.ts";
import { httpStatus, type Call } from "./call.ts";

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  /** Lines from the end; absent: the whole log (within limitBytes). */
  tail?: number;
  /** The previous, terminated run of the container (after a restart). */
  previous?: boolean;
  /** The API server stops after about this many bytes. */
  limitBytes?: number;
  /** Only what was logged in the last this many seconds. */
  sinceSeconds?: number;
  /** The pod's node, named when it cannot give the logs. */
  node?: string;
}

export interface FollowRequest extends LogRequest {
  /** Ends the stream (the iterable then finishes without an error). */
  signal: AbortSignal;
  /** Ends the stream after this long, whatever comes. */
  maxMs?: number;
}

export interface PodLogReader {
  /** The log text, within the request's bounds and the call's timeout. */
  readPodLog(r: LogRequest, timeoutMs?: number): Promise<string>;
  /**
   * Resolves once the API server serves the log (a failure — no such
   * container, no previous run, a node that cannot give logs — rejects here,
   * before any text), then yields text as it is written until the signal, the
   * end of the log, limitBytes or maxMs.
   */
  followPodLog(r: FollowRequest): Promise<AsyncIterable<string>>;
}

const container = (r: LogRequest) => `container ${r.container} of pod ${r.namespace}/${r.pod}`;

/**
 * Pure: the sentence for a log the API server could not give. A 5xx from the
 * log endpoint is the API server failing to reach the node's kubelet (a
 * simulated node has none): said so, with the server's own words.
 */
export function logFailure(r: LogRequest, status: number | undefined, detail: string): string {
  const what = `${r.previous ? "previous logs" : "logs"} of ${container(r)}`;
  if (status !== undefined && status >= 500) {
    return `${what}: the node${r.node ? ` ${r.node}` : ""} cannot give them (the API server could not get them from its kubelet): ${detail}`;
  }
  return `${what}: ${detail}`;
}

const query = (r: LogRequest) => ({
  name: r.pod,
  namespace: r.namespace,
  container: r.container,
  ...(r.tail !== undefined ? { tailLines: r.tail } : {}),
  ...(r.previous ? { previous: true } : {}),
  ...(r.limitBytes !== undefined ? { limitBytes: r.limitBytes } : {}),
  ...(r.sinceSeconds !== undefined ? { sinceSeconds: r.sinceSeconds } : {}),
});

/** The API server's sentence from the error client-node's Log class throws (an ApiException with a Status body on a 500). */
const logClassDetail = (err: unknown): { status?: number; detail: string } => {
  const e = err as { code?: number; body?: { message?: unknown } };
  const message = typeof e.body?.message === "string" ? e.body.message : undefined;
  return { ...(typeof e.code === "number" ? { status: e.code } : {}), detail: message ?? (e.code ? `HTTP ${e.code}` : (err as Error).message) };
};

/** What is used of client-node's Log: pipes the log into `stream`, resolves with the request's controller once the API server answered 200. */
export interface LogClient {
  log(namespace: string, pod: string, container: string, stream: Writable, options?: k8s.LogOptions): Promise<AbortController>;
}

export interface PodLogOptions {
  cluster: string;
  core: k8s.CoreV1Api;
  /** client-node's Log (built from the same KubeConfig, so it acts as the same identity). */
  log: LogClient;
  call: Call;
  /** Bound of reaching the API server before the first byte of a follow; default 15 s. */
  startMs?: number;
}

export function podLogReader(o: PodLogOptions): PodLogReader {
  const { cluster, core, call } = o;

  async function readPodLog(r: LogRequest, timeoutMs?: number): Promise<string> {
    const what = `read ${r.previous ? "previous logs" : "logs"} of ${container(r)}`;
    try {
      return await call(what, () => core.readNamespacedPodLog(query(r)), timeoutMs);
    } catch (err) {
      const status = httpStatus(err);
      // call's own message: `cluster C: <what>: <the API server's words>`
      const prefix = `cluster ${cluster}: ${what}: `;
      const message = (err as Error).message;
      if (status === undefined || !message.startsWith(prefix)) throw err;
      throw new KubeError(cluster, logFailure(r, status, message.slice(prefix.length)), { cause: err });
    }
  }

  return {
    readPodLog,
    async followPodLog(r) {
      // The Log class gives no words for a 4xx (no such container, no previous run): a read of
      // no lines first says what is wrong, in the API server's words, before any stream starts.
      const { sinceSeconds: _s, limitBytes: _l, ...probe } = r;
      await readPodLog({ ...probe, tail: 0 });
      const out = new PassThrough();
      out.setEncoding("utf8");
      // A response body that fails (the connection dropped, the abort) is not ended by pipe: end ours then.
      // (The Log class pipes before it resolves: listen first.)
      out.on("pipe", (src: Readable) => {
        const end = () => !out.writableEnded && out.end();
        src.once("error", end);
        src.once("close", end);
      });
      const started = o.log.log(r.namespace, r.pod, r.container, out, {
        follow: true,
        ...(r.tail !== undefined ? { tailLines: r.tail } : {}),
        ...(r.previous ? { previous: true } : {}),
        ...(r.limitBytes !== undefined ? { limitBytes: r.limitBytes } : {}),
        ...(r.sinceSeconds !== undefined ? { sinceSeconds: r.sinceSeconds } : {}),
      });
      const startMs = o.startMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      let controller: AbortController;
      try {
        controller = await Promise.race([
          started,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new KubeError(cluster, `follow logs of ${container(r)}: no answer within ${startMs} ms`)), startMs);
          }),
        ]);
      } catch (err) {
        // A request that answers after its bound is ended as soon as it does.
        started.then((c) => c.abort(), () => {});
        out.destroy();
        if (err instanceof KubeError) throw err;
        const { status, detail } = logClassDetail(err);
        throw new KubeError(cluster, logFailure(r, status, detail), { cause: err });
      } finally {
        clearTimeout(timer);
      }
      let limit: NodeJS.Timeout | undefined;
      const stop = () => {
        controller.abort();
        if (!out.writableEnded) out.end();
      };
      if (r.signal.aborted) stop();
      else r.signal.addEventListener("abort", stop, { once: true });
      if (r.maxMs !== undefined) limit = setTimeout(stop, r.maxMs);
      out.once("close", () => {
        clearTimeout(limit);
        r.signal.removeEventListener("abort", stop);
      });
      return (async function* () {
        try {
          for await (const chunk of out) yield chunk as string;
        } finally {
          // the consumer stopped early (break, return): end the request too
          stop();
        }
      })();
    },
  };
}
