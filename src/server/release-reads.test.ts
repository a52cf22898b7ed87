// The per-release read routes with small fakes of inspect.ts's functions: what
// each passes on, how each domain error answers, the log stream's events and
// its end when the client goes away; every JSON answer matches the document.
import { afterEach, describe, expect, it } from "vitest";
import { AS, parseEvents, serveRoutes, silent, type Served } from "../../test/unit/helpers/release-api.ts";
import { SHA1 } from "../../test/unit/helpers/serve-fixtures.ts";
import type { HelmClient } from "../adapters/helm.ts";
import type { KubeClient } from "../adapters/kube.ts";
import { BerthError, KubeError } from "../errors.ts";
import { spec } from "../plan/test-specs.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";
import type { InspectedRelease, InspectTarget, LogStream } from "../reconcile/inspect.ts";
import { readBook } from "../reconcile/memo.ts";
import type { Locate } from "./release-locate.ts";
import { lineSplitter, releaseReadRoutes, sseData, type InspectFns } from "./release-reads.ts";
import { HttpError } from "./router.ts";

const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube: {} as KubeClient, helm: {} as HelmClient };
const locate: Locate = async (cluster, release, namespace) => {
  if (cluster !== "east") throw new HttpError(404, `no cluster ${cluster}; there are east`);
  if (release !== "shop-api") throw new HttpError(404, `no release ${release} managed by berth on cluster east; it has shop-api`);
  return { target, found: { name: "shop-api", namespace: namespace ?? "shop", book: readBook(undefined) }, desired: spec("shop-api", { namespace: "shop", application: "shop" }), commit: SHA1 };
};

const answer = { cluster: "east", release: "shop-api", namespace: "shop", revision: 3 };
const pod = {
  name: "shop-api-7d9-abcde",
  namespace: "shop",
  phase: "Running",
  status: "Running",
  ready: "1/1",
  restarts: 0,
  node: "kwok-node-0",
  images: ["registry.example.com/api:3.0.6"],
  createdAt: "2025-01-01T00:00:00.000Z",
  owner: { kind: "ReplicaSet", name: "shop-api-7d9" },
  workload: { kind: "Deployment" as const, name: "shop-api" },
  defaultContainer: "api",
  containers: [{ name: "api", image: "registry.example.com/api:3.0.6", ready: true, restarts: 0, state: "running" }],
};

type Call = { fn: string; target: InspectTarget; rel: InspectedRelease; args?: unknown };

/** Fakes of inspect.ts that answer fixed values, remember what they were asked, or fail with `fail`. */
function fakes(fail?: Error, stream?: (signal: AbortSignal) => AsyncIterable<string>) {
  const calls: Call[] = [];
  const signals: AbortSignal[] = [];
  const maybeFail = () => {
    if (fail) throw fail;
  };
  const fns: InspectFns = {
    async releaseObjects(t, rel) {
      calls.push({ fn: "objects", target: t, rel });
      maybeFail();
      return {
        ...answer,
        objects: [
          { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "shop-api", state: "ready", message: "1/1 available", createdAt: "2025-01-01T00:00:00.000Z" },
          { apiVersion: "v1", kind: "Secret", namespace: "shop", name: "shop-api-db", state: "exists" },
        ],
      };
    },
    async releasePods(t, rel) {
      calls.push({ fn: "pods", target: t, rel });
      maybeFail();
      return { ...answer, pods: [pod] };
    },
    async releaseEvents(t, rel, o) {
      calls.push({ fn: "events", target: t, rel, args: o });
      maybeFail();
      return {
        ...answer,
        events: [{ type: "Normal", reason: "ScalingReplicaSet", message: "Scaled up replica set shop-api-7d9 to 1", count: 1, lastTime: "2025-01-01T00:00:01.000Z", object: { kind: "Deployment", name: "shop-api", namespace: "shop" }, source: "deployment-controller" }],
        truncated: false,
      };
    },
    async podLogs(t, rel, r) {
      calls.push({ fn: "logs", target: t, rel, args: r });
      maybeFail();
      return { ...answer, pod: r.pod, container: r.container ?? "api", previous: Boolean(r.previous), text: "line 1\nline 2\n", truncated: false };
    },
    async followPodLogs(t, rel, r): Promise<LogStream> {
      const { signal, ...args } = r;
      calls.push({ fn: "follow", target: t, rel, args });
      signals.push(signal);
      maybeFail();
      return { ...answer, pod: r.pod, container: r.container ?? "api", previous: false, chunks: stream!(signal) };
    },
  };
  return { fns, calls, signals };
}

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});
const serve = async (f: ReturnType<typeof fakes>, keepAliveMs?: number) => (served = await serveRoutes(releaseReadRoutes({ locate, log: silent, inspect: f.fns, ...(keepAliveMs ? { keepAliveMs } : {}) })));
const rel = "/api/v1/clusters/east/releases/shop-api";

describe("GET objects, pods, events, logs", () => {
  it("objects: the release found on its cluster, read as git declares it (its application), with a viewer's token", async () => {
    const f = fakes();
    const s = await serve(f);
    const r = await s.call("GET", `${rel}/objects`, { token: AS.viewer });
    expect(r.status).toBe(200);
    expect(r.body.objects.map((o: { kind: string; state: string }) => `${o.kind} ${o.state}`)).toEqual(["Deployment ready", "Secret exists"]);
    expect(f.calls[0]).toMatchObject({ fn: "objects", target: { name: "east" }, rel: { name: "shop-api", namespace: "shop", application: "shop" } });
  });

  it("pods and events (limit passed on); a namespace picks the release's", async () => {
    const f = fakes();
    const s = await serve(f);
    expect((await s.call("GET", `${rel}/pods`, { token: AS.viewer })).body.pods).toEqual([pod]);
    const ev = await s.call("GET", `${rel}/events?limit=5&namespace=shop`, { token: AS.viewer });
    expect(ev.body.events[0].reason).toBe("ScalingReplicaSet");
    expect(f.calls.at(-1)).toMatchObject({ fn: "events", args: { limit: 5 }, rel: { namespace: "shop" } });
    await s.call("GET", `${rel}/events`, { token: AS.viewer });
    expect(f.calls.at(-1)!.args).toEqual({});
  });

  it("logs: pod, container, tail and previous passed on; the JSON answer holds the text", async () => {
    const f = fakes();
    const s = await serve(f);
    const r = await s.call("GET", `${rel}/logs?pod=${pod.name}&container=api&tail=20&previous=true&limitBytes=1000&sinceSeconds=60`, { token: AS.viewer });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ pod: pod.name, container: "api", previous: true, text: "line 1\nline 2\n" });
    expect(f.calls[0]!.args).toEqual({ pod: pod.name, container: "api", tail: 20, previous: true, limitBytes: 1000, sinceSeconds: 60 });
  });

  it.each([
    ["logs without a pod", `${rel}/logs`, /^query\.pod: required field is missing \(one of the release's pods/],
    ["a tail that is not a number", `${rel}/logs?pod=p&tail=many`, /^query\.tail: must be a whole number of lines from the end, 1 to 10000 \(default 500\), got a string "many"/],
    ["a tail over the bound", `${rel}/logs?pod=p&tail=10001`, /^query\.tail: must be <= 10000/],
    ["limit 0", `${rel}/events?limit=0`, /^query\.limit: must be >= 1/],
    ["limit over the bound", `${rel}/events?limit=1001`, /^query\.limit: must be <= 1000/],
  ])("400 for %s, naming the field; nothing is read", async (_what, path, message) => {
    const f = fakes();
    const s = await serve(f);
    const r = await s.call("GET", path, { token: AS.viewer });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
    expect(f.calls).toEqual([]);
  });

  it.each([
    ["an unknown cluster", "/api/v1/clusters/north/releases/shop-api/pods", undefined, 404, "no cluster north; there are east"],
    ["an unknown release", "/api/v1/clusters/east/releases/nope/pods", undefined, 404, "no release nope managed by berth on cluster east"],
    ["a pod outside the release", `${rel}/logs?pod=impostor`, new BerthError("INVALID_INPUT", "pod impostor is not one of release shop/shop-api's pods on cluster east"), 400, "pod impostor is not one of"],
    ["a Project berth cannot act as", `${rel}/pods`, new BerthError("ACTION_FAILED", "release shop-api belongs to Project shop, which acts as sa, and berth's clients for cluster east cannot impersonate; nothing was read"), 409, "cannot impersonate"],
    ["a cluster that cannot answer", `${rel}/pods`, new KubeError("east", "release shop/shop-api: list pods: connect ECONNREFUSED"), 502, "cluster east: release shop/shop-api: list pods: connect ECONNREFUSED"],
    ["a node that cannot give logs", `${rel}/logs?pod=p`, new KubeError("east", "release shop/shop-api: logs of container api of pod shop/p: the node kwok-node-0 cannot give them"), 502, "the node kwok-node-0 cannot give them"],
  ])("%s: %d, in words that name it", async (_what, path, fail, statusCode, message) => {
    const s = await serve(fakes(fail));
    const r = await s.call("GET", path, { token: AS.viewer });
    expect(r.status).toBe(statusCode);
    expect(r.body.error).toContain(message);
  });

  it("401 without a token or with an unknown one; never reaches the cluster", async () => {
    const f = fakes();
    const s = await serve(f);
    for (const token of [undefined, "not-a-token"]) expect((await s.call("GET", `${rel}/objects`, token ? { token } : {})).status).toBe(401);
    expect(f.calls).toEqual([]);
  });
});

describe("GET logs?follow=true: a text/event-stream", () => {
  it("open (pod, container), one message per line (a line split across pieces is sent whole), then end", async () => {
    const f = fakes(undefined, async function* () {
      yield "line 1\r\nline 2\nhalf of ";
      yield "line 3\n";
      yield "unfinished";
    });
    const s = await serve(f);
    const r = await s.call("GET", `${rel}/logs?pod=${pod.name}&follow=true&tail=10`, { token: AS.viewer });
    expect(r.status).toBe(200);
    expect(r.type).toBe("text/event-stream; charset=utf-8");
    const events = parseEvents(r.text);
    expect(events[0]).toEqual({ event: "open", data: JSON.stringify({ cluster: "east", release: "shop-api", namespace: "shop", pod: pod.name, container: "api", previous: false }) });
    expect(events.at(-1)!.event).toBe("end");
    expect(events.filter((e) => e.event === "message").map((e) => e.data)).toEqual(["line 1", "line 2", "half of line 3", "unfinished"]);
    expect(f.calls[0]!.args).toEqual({ pod: pod.name, tail: 10 });
  });

  it("the client going away aborts the follow", async () => {
    const f = fakes(undefined, async function* (signal) {
      yield "first\n";
      await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
    });
    const s = await serve(f);
    const stop = new AbortController();
    const res = await fetch(`${s.url}${rel}/logs?pod=${pod.name}&follow=true`, { headers: { authorization: `Bearer ${AS.viewer}` }, signal: stop.signal });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("first")) text += new TextDecoder().decode((await reader.read()).value);
    expect(f.signals[0]!.aborted).toBe(false);
    stop.abort();
    await expect.poll(() => f.signals[0]!.aborted).toBe(true);
  });

  it("a failure before the stream opens answers JSON (502 naming the node); one after it, an error event", async () => {
    const refused = await serve(fakes(new KubeError("east", "release shop/shop-api: logs of container api of pod shop/p: the node kwok-node-0 cannot give them")));
    const r = await refused.call("GET", `${rel}/logs?pod=p&follow=true`, { token: AS.viewer });
    expect(r.status).toBe(502);
    expect(r.body.error).toContain("the node kwok-node-0 cannot give them");
    await refused.close();

    const s = await serve(
      fakes(undefined, async function* () {
        yield "one\n";
        throw new Error("the connection to the kubelet dropped");
      }),
    );
    const events = parseEvents((await s.call("GET", `${rel}/logs?pod=p&follow=true`, { token: AS.viewer })).text);
    expect(events.map((e) => e.event)).toEqual(["open", "message", "error"]);
    expect(events.at(-1)!.data).toBe("the connection to the kubelet dropped");
  });

  it("a quiet log gets comment lines, so proxies keep it open", async () => {
    const s = await serve(
      fakes(undefined, async function* () {
        await new Promise((r) => setTimeout(r, 80));
        yield "late\n";
      }),
      20,
    );
    const r = await s.call("GET", `${rel}/logs?pod=p&follow=true`, { token: AS.viewer });
    expect(r.text).toContain(": keep-alive\n\n");
    expect(parseEvents(r.text).map((e) => e.event)).toEqual(["open", "message", "end"]);
  });

  it("the document: logs answers JSON or text/event-stream under 200", async () => {
    const s = await serve(fakes());
    const ok = s.doc.paths["/api/v1/clusters/{cluster}/releases/{release}/logs"]!.get!.responses["200"]!;
    expect(Object.keys(ok.content!)).toEqual(["application/json", "text/event-stream"]);
  });
});

describe("lineSplitter", () => {
  it("gives complete lines as they come, keeps the unfinished one", () => {
    const l = lineSplitter();
    expect(l.push("a\nb")).toEqual(["a"]);
    expect(l.push("c\r\n\nd")).toEqual(["bc", ""]);
    expect(l.rest()).toBe("d");
  });
});

describe("sseData", () => {
  it.each([
    ["one line", "data: one line\n\n"],
    ["a\nb\n", "data: a\ndata: b\ndata: \n\n"],
    ["crlf\r\nline", "data: crlf\ndata: line\n\n"],
    ["  indented", "data:   indented\n\n"],
  ])("%j", (text, wire) => expect(sseData(text)).toBe(wire));
});
