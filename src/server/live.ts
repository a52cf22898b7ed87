// GET /api/v1/live: the status as server-sent events, so the page redraws
// when the service's snapshot changes instead of asking every few seconds.
// One `status` event on connect and after every change of what
// /api/v1/status answers; an `observed` event when a pass found the same; a
// heartbeat comment every 15 s so proxies and the browser keep the stream.
// The page reads it with fetch (a Bearer header), not EventSource.
import type { ServerResponse } from "node:http";
import { statusBody } from "./api.ts";
import { defineRoute, type Route } from "./router.ts";
import { onStateChange, type ServeState } from "./state.ts";

export const HEARTBEAT_MS = 15_000;

/** A client that has not read this much of what was sent is too slow: its stream is closed (it reconnects). */
export const MAX_BUFFERED = 16 * 1024 * 1024;

export interface LiveOptions {
  heartbeatMs?: number;
}

/** One event in the text/event-stream format; `data` is one line of JSON (JSON.stringify never writes a raw newline). */
export const sseEvent = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

interface Client {
  res: ServerResponse;
  /** The status last sent to it, without its observedAt: what a change is measured against. */
  sent?: string;
}

export function liveRoute(state: ServeState, o: LiveOptions = {}): Route {
  const clients = new Set<Client>();

  // Once per change for every client: the body is built and serialised once.
  function current(): { body: ReturnType<typeof statusBody>; key: string; text: string } | undefined {
    if (!state.snapshot) return undefined;
    const body = statusBody(state, state.snapshot);
    return { body, key: JSON.stringify({ ...body, observedAt: "" }), text: JSON.stringify(body) };
  }

  function send(c: Client, chunk: string): void {
    if (c.res.writableLength > MAX_BUFFERED) {
      c.res.destroy();
      return;
    }
    c.res.write(chunk);
  }

  function update(c: Client, now: ReturnType<typeof current>): void {
    if (!now) return send(c, sseEvent("pending", { error: "no status yet: the first reconcile has not finished" }));
    if (c.sent === now.key) return send(c, sseEvent("observed", { observedAt: now.body.observedAt }));
    c.sent = now.key;
    send(c, `event: status\ndata: ${now.text}\n\n`);
  }

  onStateChange(state, () => {
    if (clients.size === 0) return;
    const now = current();
    for (const c of clients) update(c, now);
  });

  return defineRoute({
    method: "GET",
    path: "/api/v1/live",
    summary: "The status as server-sent events: a status event on connect and whenever it changes",
    description:
      "text/event-stream. `event: status` carries, as one line of JSON, what GET /api/v1/status answers (the Status schema): once on connect and after every pass that changed it; " +
      "`event: observed` ({observedAt}) after a pass that found the same; `event: pending` before the first pass; a comment line every 15 s keeps the connection.",
    access: "read",
    responses: { 200: { description: "An endless text/event-stream of status events", contentType: "text/event-stream" } },
    handle: ({ req, res }) => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
      if (req.method === "HEAD") return void res.end();
      res.flushHeaders();
      const c: Client = { res };
      clients.add(c);
      update(c, current());
      const beat = setInterval(() => send(c, ": heartbeat\n\n"), o.heartbeatMs ?? HEARTBEAT_MS);
      beat.unref();
      res.on("close", () => {
        clearInterval(beat);
        clients.delete(c);
      });
    },
  });
}
