// GET /api/v1/live over a real socket: a status event on connect, another
// after a change, `observed` after a pass that found the same, heartbeats,
// and nothing left behind when the client goes away.
import { get } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { runReport, status } from "../../test/unit/helpers/serve-fixtures.ts";
import { createLogger } from "../log.ts";
import { sha256 } from "./auth.ts";
import { liveRoute, sseEvent } from "./live.ts";
import { createRouter } from "./router.ts";
import { listen, type Listening } from "./server.ts";
import { createServeState, notifyStateChange, type ServeState } from "./state.ts";

const log = createLogger({ level: "silent" });
let server: Listening | undefined;
afterEach(() => server?.close());

const snapshot = (at: Date, s = status()) => ({ status: s, blocked: new Map<string, string>(), report: runReport(), at });

/** Reads the stream's events (comments included, as `:`), until `until` holds. */
async function events(url: string, until: (seen: string[]) => boolean, headers: Record<string, string> = {}): Promise<string[]> {
  const stop = new AbortController();
  const res = await fetch(url, { signal: stop.signal, headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const seen: string[] = [];
  while (!until(seen)) {
    const c = await reader.read();
    if (c.done) break;
    buf += dec.decode(c.value, { stream: true });
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      seen.push(block.startsWith(":") ? ":" : block.split("\n")[0]!.replace("event: ", ""));
    }
  }
  stop.abort();
  return seen;
}

async function serve(state: ServeState, o: { heartbeatMs?: number; tokens?: boolean } = {}): Promise<string> {
  const tokens = [{ name: "ci-bot", digest: sha256("viewer-t0ken"), role: "viewer" as const }];
  server = await listen(createRouter([liveRoute(state, o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {})], log, o.tokens ? { tokens: () => tokens } : {}), 0);
  return `${server.url}/api/v1/live`;
}

describe("GET /api/v1/live", () => {
  it("sends the status on connect and after a change, observed after a pass that found the same", async () => {
    const state = createServeState();
    state.snapshot = snapshot(new Date("2025-01-01T00:00:00Z"));
    const url = await serve(state);
    const seen = events(url, (s) => s.length >= 3);
    // once the first event is out: a pass finding the same, then one finding a change
    await new Promise((r) => setTimeout(r, 100));
    state.snapshot = snapshot(new Date("2025-01-01T00:00:30Z"));
    notifyStateChange(state);
    const changed = status();
    changed.clusters[0]!.releases[0]!.state = "deploying";
    state.snapshot = snapshot(new Date("2025-01-01T00:01:00Z"), changed);
    notifyStateChange(state);
    expect(await seen).toEqual(["status", "observed", "status"]);
  });

  it("says pending before the first pass, and keeps the connection with heartbeats", async () => {
    const url = await serve(createServeState(), { heartbeatMs: 30 });
    expect(await events(url, (s) => s.length >= 3)).toEqual(["pending", ":", ":"]);
  });

  it("carries the status answer as one line of JSON", () => {
    expect(sseEvent("status", { a: "two\nlines" })).toBe('event: status\ndata: {"a":"two\\nlines"}\n\n');
  });

  it("needs a token with --auth-file, like every read", async () => {
    const state = createServeState();
    state.snapshot = snapshot(new Date());
    const url = await serve(state, { tokens: true });
    expect((await fetch(url)).status).toBe(401);
    expect(await events(url, (s) => s.length >= 1, { authorization: "Bearer viewer-t0ken" })).toEqual(["status"]);
  });

  it("forgets a client that went away", async () => {
    const state = createServeState();
    state.snapshot = snapshot(new Date());
    const url = await serve(state);
    // a browser closing the page: the socket goes
    await new Promise<void>((resolve) => {
      const req = get(url, (res) => res.once("data", () => (req.destroy(), resolve())));
    });
    const open = () => new Promise<number>((r) => server!.server.getConnections((_e, n) => r(n)));
    for (let i = 0; i < 50 && (await open()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await open()).toBe(0);
    // the route's client is gone with its socket: a change writes to nobody
    expect(() => notifyStateChange(state)).not.toThrow();
  });
});
