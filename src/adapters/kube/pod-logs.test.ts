import { PassThrough, type Writable } from "node:stream";
import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { logFailure, podLogReader, type LogRequest } from "./pod-logs.ts";

const req: LogRequest = { namespace: "shop", pod: "api-1", container: "api", node: "kwok-node-0" };
const statusBody = (code: number, message: string) => JSON.stringify({ kind: "Status", status: "Failure", message, code });

describe("logFailure", () => {
  it.each([
    [
      "a 5xx: the API server could not reach the node's kubelet",
      req,
      500,
      'Get "https://:10250/containerLogs/shop/api-1/api": dial tcp :10250: connect: connection refused',
      'logs of container api of pod shop/api-1: the node kwok-node-0 cannot give them (the API server could not get them from its kubelet): Get "https://:10250/containerLogs/shop/api-1/api": dial tcp :10250: connect: connection refused',
    ],
    [
      "a 4xx in the API server's words",
      { ...req, previous: true },
      400,
      'previous terminated container "api" in pod "api-1" not found',
      'previous logs of container api of pod shop/api-1: previous terminated container "api" in pod "api-1" not found',
    ],
  ])("%s", (_n, r, status, detail, want) => {
    expect(logFailure(r, status, detail)).toBe(want);
  });
});

/** The API server's log endpoint (readNamespacedPodLog) and client-node's Log, as far as the reader uses them. */
function fake(o: { read?: (q: Record<string, unknown>) => string; logFails?: unknown } = {}) {
  const reads: Array<Record<string, unknown>> = [];
  const follows: Array<{ options: k8s.LogOptions; source: PassThrough; controller: AbortController }> = [];
  const core = {
    readNamespacedPodLog: async (q: Record<string, unknown>) => {
      reads.push(q);
      return (o.read ?? (() => ""))(q);
    },
  } as unknown as k8s.CoreV1Api;
  const log = {
    async log(_ns: string, _pod: string, _c: string, stream: Writable, options: k8s.LogOptions) {
      if (o.logFails) throw o.logFails;
      // as client-node does: pipe the response body into the stream, then resolve with the request's controller
      const source = new PassThrough();
      // node-fetch keeps an error listener on every body (an abort emits one)
      source.on("error", () => {});
      const controller = new AbortController();
      controller.signal.addEventListener("abort", () => source.emit("error", Object.assign(new Error("The user aborted a request."), { name: "AbortError" })));
      source.pipe(stream);
      follows.push({ options, source, controller });
      return controller;
    },
  };
  return { reader: podLogReader({ cluster: "east", core, log, call: makeCall("east", 1_000), startMs: 200 }), reads, follows };
}

async function collect(it: AsyncIterable<string>): Promise<string> {
  let all = "";
  for await (const c of it) all += c;
  return all;
}

const httpError = (code: number, body: string) => Object.assign(new Error(`HTTP-Code: ${code}`), { code, body });

describe("podLogReader.readPodLog", () => {
  it("asks for the request's bounds only", async () => {
    const { reader, reads } = fake({ read: () => "line 1\nline 2\n" });
    expect(await reader.readPodLog({ ...req, tail: 50, limitBytes: 1024, previous: true, sinceSeconds: 60 })).toBe("line 1\nline 2\n");
    expect(reads).toEqual([{ name: "api-1", namespace: "shop", container: "api", tailLines: 50, previous: true, limitBytes: 1024, sinceSeconds: 60 }]);
  });

  it("a node that cannot give logs is named, with the API server's words", async () => {
    const { reader } = fake({
      read: () => {
        throw httpError(500, statusBody(500, "dial tcp :10250: connect: connection refused"));
      },
    });
    await expect(reader.readPodLog(req)).rejects.toThrow(
      "cluster east: logs of container api of pod shop/api-1: the node kwok-node-0 cannot give them (the API server could not get them from its kubelet): dial tcp :10250: connect: connection refused",
    );
  });

  it("a container with no previous run: the API server's sentence", async () => {
    const { reader } = fake({
      read: () => {
        throw httpError(400, statusBody(400, 'previous terminated container "api" in pod "api-1" not found'));
      },
    });
    await expect(reader.readPodLog({ ...req, previous: true })).rejects.toThrow('cluster east: previous logs of container api of pod shop/api-1: previous terminated container "api" in pod "api-1" not found');
  });
});

describe("podLogReader.followPodLog", () => {
  it("reads no lines first (so a failure says why before any stream), then yields text until the caller aborts, and ends without an error", async () => {
    const { reader, reads, follows } = fake();
    const abort = new AbortController();
    const chunks = await reader.followPodLog({ ...req, tail: 10, limitBytes: 4096, signal: abort.signal });
    expect(reads).toEqual([{ name: "api-1", namespace: "shop", container: "api", tailLines: 0 }]);
    expect(follows[0]!.options).toEqual({ follow: true, tailLines: 10, limitBytes: 4096 });
    const got = collect(chunks);
    follows[0]!.source.write("hello ");
    follows[0]!.source.write("world\n");
    await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    expect(await got).toBe("hello world\n");
    expect(follows[0]!.controller.signal.aborted).toBe(true);
  });

  it("ends when the log ends (the container stopped), when the connection fails, and after maxMs", async () => {
    const ended = fake();
    const a = await ended.reader.followPodLog({ ...req, signal: new AbortController().signal });
    ended.follows[0]!.source.end("last line\n");
    expect(await collect(a)).toBe("last line\n");

    const dropped = fake();
    const b = await dropped.reader.followPodLog({ ...req, signal: new AbortController().signal });
    dropped.follows[0]!.source.write("partial");
    await new Promise((r) => setTimeout(r, 10));
    dropped.follows[0]!.source.emit("error", new Error("socket hang up"));
    expect(await collect(b)).toBe("partial");

    const bounded = fake();
    const c = await bounded.reader.followPodLog({ ...req, signal: new AbortController().signal, maxMs: 20 });
    expect(await collect(c)).toBe("");
    expect(bounded.follows[0]!.controller.signal.aborted).toBe(true);
  });

  it("a consumer that stops reading ends the request", async () => {
    const { reader, follows } = fake();
    const chunks = await reader.followPodLog({ ...req, signal: new AbortController().signal });
    follows[0]!.source.write("one");
    for await (const c of chunks) {
      expect(c).toBe("one");
      break;
    }
    expect(follows[0]!.controller.signal.aborted).toBe(true);
  });

  it("a failure of the first read rejects before any stream starts", async () => {
    const { reader, follows } = fake({
      read: () => {
        throw httpError(500, statusBody(500, "dial tcp :10250: connect: connection refused"));
      },
    });
    await expect(reader.followPodLog({ ...req, signal: new AbortController().signal })).rejects.toThrow("the node kwok-node-0 cannot give them");
    expect(follows).toEqual([]);
  });

  it("a follow the API server does not answer within the bound fails, and its request is ended once it answers", async () => {
    const controller = new AbortController();
    let answer: (c: AbortController) => void = () => {};
    const core = { readNamespacedPodLog: async () => "" } as unknown as k8s.CoreV1Api;
    const log = { log: () => new Promise<AbortController>((r) => (answer = r)) };
    const reader = podLogReader({ cluster: "east", core, log, call: makeCall("east", 1_000), startMs: 20 });
    await expect(reader.followPodLog({ ...req, signal: new AbortController().signal })).rejects.toThrow("cluster east: follow logs of container api of pod shop/api-1: no answer within 20 ms");
    answer(controller);
    await new Promise((r) => setTimeout(r, 0));
    expect(controller.signal.aborted).toBe(true);
  });

  it("a failure of the follow itself is said in the API server's words (client-node's Log throws its Status on a 500)", async () => {
    const { reader } = fake({ logFails: Object.assign(new Error("HTTP-Code: 500"), { code: 500, body: { kind: "Status", message: "proxy error from 127.0.0.1:10250" } }) });
    await expect(reader.followPodLog({ ...req, signal: new AbortController().signal })).rejects.toThrow(
      "cluster east: logs of container api of pod shop/api-1: the node kwok-node-0 cannot give them (the API server could not get them from its kubelet): proxy error from 127.0.0.1:10250",
    );
  });
});
