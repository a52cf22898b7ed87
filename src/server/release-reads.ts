// GET /api/v1/clusters/{cluster}/releases/{release}/objects | pods | events | logs:
// a release as a person inspects it, read from its cluster at request time
// (reconcile/inspect.ts), bounded in time and bytes, never a Secret's data.
// A log followed (follow=true) is a text/event-stream: an `open` event (JSON:
// pod, container), then one message per line of the log as it comes (its data
// the line, without its line break), then `end` — or `error` with the
// cluster's words; it stops when the client goes away.
import type { ServerResponse } from "node:http";
import type { Logger } from "../log.ts";
import * as inspect from "../reconcile/inspect.ts";
import { inspectedRelease, type LogStream } from "../reconcile/inspect.ts";
import { ErrorBody, EventsQuery, LogsQuery, PodLog, ReleaseEvents, ReleaseObjects, ReleaseParams, ReleasePods, ReleaseQuery } from "./api-schemas.ts";
import { answering, httpError, type Locate } from "./release-locate.ts";
import { defineRoute, type Route } from "./router.ts";

/** What the routes read with: inspect.ts's functions (tests pass fakes). */
export type InspectFns = Pick<typeof inspect, "releaseObjects" | "releasePods" | "releaseEvents" | "podLogs" | "followPodLogs">;

export interface ReleaseReadOptions {
  locate: Locate;
  log: Logger;
  inspect?: InspectFns;
  /** How often a followed log sends a comment line, so proxies keep the stream open; default 15 s. */
  keepAliveMs?: number;
}

const base = "/api/v1/clusters/{cluster}/releases/{release}";

/** The refusals every read may answer (400 and 401 come from the router). */
export const readErrors = {
  404: { description: "Unknown cluster or release", schema: ErrorBody },
  409: { description: "The release's Project acts as an identity berth's clients for this cluster cannot impersonate", schema: ErrorBody },
  502: { description: "The cluster could not answer; the message names the cluster, the release and the object", schema: ErrorBody },
} as const;

export function releaseReadRoutes(o: ReleaseReadOptions): Route[] {
  const fns = o.inspect ?? inspect;
  const at = async (p: { cluster: string; release: string }, namespace: string | undefined) => {
    const l = await o.locate(p.cluster, p.release, namespace);
    return { target: l.target, rel: inspectedRelease(l.found, l.desired) };
  };
  return [
    defineRoute({
      method: "GET",
      path: `${base}/objects`,
      summary: "Every object of the release's deployed manifest with its live state and readiness (a Secret by its metadata only)",
      access: "read",
      params: ReleaseParams,
      query: ReleaseQuery,
      responses: { 200: { description: "OK", schema: ReleaseObjects }, ...readErrors },
      handle: async ({ send, params, query }) => {
        const { target, rel } = await at(params, query.namespace);
        send(200, await answering(() => fns.releaseObjects(target, rel)));
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/pods`,
      summary: "The pods of the release's workloads: phase, ready, restarts, node, images, age, owner",
      access: "read",
      params: ReleaseParams,
      query: ReleaseQuery,
      responses: { 200: { description: "OK", schema: ReleasePods }, ...readErrors },
      handle: async ({ send, params, query }) => {
        const { target, rel } = await at(params, query.namespace);
        send(200, await answering(() => fns.releasePods(target, rel)));
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/events`,
      summary: "The Events of the release's objects and pods, newest first",
      access: "read",
      params: ReleaseParams,
      query: EventsQuery,
      responses: { 200: { description: "OK", schema: ReleaseEvents }, ...readErrors },
      handle: async ({ send, params, query }) => {
        const { target, rel } = await at(params, query.namespace);
        send(200, await answering(() => fns.releaseEvents(target, rel, query.limit !== undefined ? { limit: query.limit } : {})));
      },
    }),
    defineRoute({
      method: "GET",
      path: `${base}/logs`,
      summary: "A container's logs, of one of the release's pods; follow=true streams them (text/event-stream)",
      access: "read",
      params: ReleaseParams,
      query: LogsQuery,
      responses: {
        200: {
          description: "The log (JSON); with follow=true a text/event-stream: an `open` event (JSON: pod, container), one message per line of the log (its data the line), then `end`, or `error` with the cluster's words",
          schema: PodLog,
          stream: "text/event-stream",
        },
        ...readErrors,
      },
      handle: async ({ send, params, query, res }) => {
        const { target, rel } = await at(params, query.namespace);
        const asked = {
          pod: query.pod,
          ...(query.container !== undefined ? { container: query.container } : {}),
          ...(query.tail !== undefined ? { tail: query.tail } : {}),
          ...(query.previous ? { previous: true } : {}),
          ...(query.limitBytes !== undefined ? { limitBytes: query.limitBytes } : {}),
          ...(query.sinceSeconds !== undefined ? { sinceSeconds: query.sinceSeconds } : {}),
        };
        if (!query.follow) return send(200, await answering(() => fns.podLogs(target, rel, asked)));
        // Every refusal and failure comes before the stream opens: those answer as JSON errors.
        const stop = new AbortController();
        const gone = () => stop.abort();
        res.once("close", gone);
        let stream: LogStream;
        try {
          stream = await fns.followPodLogs(target, rel, { ...asked, signal: stop.signal });
        } catch (err) {
          res.off("close", gone);
          throw httpError(err);
        }
        await streamEvents(res, stream, { keepAliveMs: o.keepAliveMs ?? 15_000, log: o.log.child({ cluster: target.name, release: rel.name, pod: stream.pod, container: stream.container }) });
        res.off("close", gone);
      },
    }),
  ];
}

/** Text as one server-sent message: a `data:` line per line of it (the client joins them with \n). */
export function sseData(text: string): string {
  return `${text
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}`)
    .join("\n")}\n\n`;
}

/** Pieces of text as they come -> the complete lines in them, without their line breaks; `rest()` is the unfinished last line. */
export function lineSplitter(): { push(piece: string): string[]; rest(): string } {
  let buffered = "";
  return {
    push(piece) {
      const lines = (buffered + piece).split("\n");
      buffered = lines.pop()!;
      return lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
    },
    rest: () => buffered,
  };
}

export const sseEvent = (event: string, data: string): string => `event: ${event}\n${sseData(data)}`;

/** Resolves when `res` can take more, or is closed. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

async function streamEvents(res: ServerResponse, s: LogStream, o: { keepAliveMs: number; log: Logger }): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
  const open = () => !res.destroyed && !res.writableEnded;
  res.write(sseEvent("open", JSON.stringify({ cluster: s.cluster, release: s.release, namespace: s.namespace, pod: s.pod, container: s.container, previous: s.previous })));
  const keepAlive = setInterval(() => open() && res.write(": keep-alive\n\n"), o.keepAliveMs);
  const lines = lineSplitter();
  // The line not yet ended when the stream stops is sent before its last event.
  const rest = () => (lines.rest() ? sseData(lines.rest()) : "");
  try {
    for await (const chunk of s.chunks) {
      if (!open()) break;
      const complete = lines.push(chunk);
      // A slow reader holds the log back rather than berth's memory.
      if (complete.length && !res.write(complete.map(sseData).join(""))) await drained(res);
    }
    if (open()) res.end(`${rest()}${sseEvent("end", "the log ended, or reached its bound in time or bytes")}`);
  } catch (err) {
    o.log.warn({ err: (err as Error).message }, "log follow failed");
    if (open()) res.end(`${rest()}${sseEvent("error", (err as Error).message)}`);
  } finally {
    clearInterval(keepAlive);
  }
}
