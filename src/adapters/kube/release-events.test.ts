import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { lastTimeOf, objectEvents, selectEvents, summarizeEvent, type EventLike } from "./release-events.ts";

const ev = (kind: string, name: string, reason: string, last: string, extra: Partial<EventLike> = {}): EventLike => ({
  type: "Normal",
  reason,
  message: `${reason} of ${name}`,
  count: 1,
  firstTimestamp: last,
  lastTimestamp: last,
  involvedObject: { kind, name, namespace: "shop" },
  source: { component: "kubelet" },
  ...extra,
});

describe("selectEvents", () => {
  const events = [
    ev("Pod", "api-1", "Pulled", "2024-05-01T10:00:02Z"),
    ev("Deployment", "api", "ScalingReplicaSet", "2024-05-01T10:00:00Z"),
    ev("Pod", "someone-else", "Killing", "2024-05-01T10:00:09Z"),
    ev("ReplicaSet", "api-7d9", "SuccessfulCreate", "2024-05-01T10:00:01Z"),
    ev("Pod", "api-1", "BackOff", "2024-05-01T10:00:05Z", { type: "Warning", count: 7, firstTimestamp: "2024-05-01T10:00:03Z" }),
    // a Service named like the pod is another object
    ev("Service", "api-1", "Created", "2024-05-01T10:00:08Z"),
  ];
  const involved = [
    { kind: "Deployment", name: "api" },
    { kind: "ReplicaSet", name: "api-7d9" },
    { kind: "Pod", name: "api-1" },
  ];

  it("keeps the Events of the objects named (kind and name), newest first", () => {
    const page = selectEvents(events, involved, 10);
    expect(page.events.map((e) => `${e.object.kind}/${e.object.name} ${e.reason}`)).toEqual(["Pod/api-1 BackOff", "Pod/api-1 Pulled", "ReplicaSet/api-7d9 SuccessfulCreate", "Deployment/api ScalingReplicaSet"]);
    expect(page.truncated).toBe(false);
    expect(page.events[0]).toEqual({
      type: "Warning",
      reason: "BackOff",
      message: "BackOff of api-1",
      count: 7,
      firstTime: "2024-05-01T10:00:03.000Z",
      lastTime: "2024-05-01T10:00:05.000Z",
      object: { kind: "Pod", name: "api-1", namespace: "shop" },
      source: "kubelet",
    });
  });

  it.each([
    [2, ["BackOff", "Pulled"], true],
    [4, ["BackOff", "Pulled", "SuccessfulCreate", "ScalingReplicaSet"], false],
    [0, [], true],
  ])("at most %i, and says when there were more", (limit, reasons, truncated) => {
    const page = selectEvents(events, involved, limit);
    expect(page.events.map((e) => e.reason)).toEqual(reasons);
    expect(page.truncated).toBe(truncated);
  });

  it("equal times keep one order: by object, then reason", () => {
    const same = "2024-05-01T10:00:00Z";
    const page = selectEvents([ev("Pod", "b", "Y", same), ev("Pod", "a", "Z", same), ev("Pod", "a", "X", same)], [{ kind: "Pod", name: "a" }, { kind: "Pod", name: "b" }], 10);
    expect(page.events.map((e) => `${e.object.name}${e.reason}`)).toEqual(["aX", "aZ", "bY"]);
  });
});

describe("lastTimeOf and summarizeEvent", () => {
  it.each<[string, EventLike, string | undefined]>([
    ["lastTimestamp", { lastTimestamp: new Date("2024-05-01T10:00:00Z") }, "2024-05-01T10:00:00.000Z"],
    ["a series' last observation (events.k8s.io style)", { eventTime: "2024-05-01T09:00:00.123456Z", series: { count: 4, lastObservedTime: "2024-05-01T09:05:00.5Z" } }, "2024-05-01T09:05:00.500Z"],
    ["eventTime alone", { eventTime: "2024-05-01T09:00:00.123Z" }, "2024-05-01T09:00:00.123Z"],
    ["the object's creation at least", { metadata: { creationTimestamp: "2024-05-01T08:00:00Z" } }, "2024-05-01T08:00:00.000Z"],
    ["nothing", {}, undefined],
  ])("%s", (_n, e, want) => {
    expect(lastTimeOf(e)).toBe(want);
  });

  it("a series counts its occurrences; a new-style Event names its reporting component", () => {
    expect(summarizeEvent({ reason: "Unhealthy", series: { count: 4 }, reportingComponent: "kubelet", involvedObject: { kind: "Pod", name: "p" } })).toMatchObject({ count: 4, source: "kubelet", type: "Normal" });
  });
});

describe("objectEvents", () => {
  it("pages through the namespace's Events, and stops at its page limit saying the answer may be partial", async () => {
    const pages = [
      { items: [ev("Pod", "a", "One", "2024-05-01T10:00:01Z")], metadata: { _continue: "t1" } },
      { items: [ev("Pod", "a", "Two", "2024-05-01T10:00:02Z")], metadata: { _continue: "t2" } },
      { items: [ev("Pod", "a", "Three", "2024-05-01T10:00:03Z")], metadata: {} },
    ];
    const asked: Array<string | undefined> = [];
    const core = {
      listNamespacedEvent: async (a: { namespace: string; limit: number; _continue?: string }) => {
        asked.push(a._continue);
        return pages[asked.length - 1];
      },
    } as unknown as k8s.CoreV1Api;
    const all = await objectEvents({ core, call: makeCall("east", 1_000), pageSize: 1 }).objectEvents("shop", [{ kind: "Pod", name: "a" }], 10);
    expect(all.events.map((e) => e.reason)).toEqual(["Three", "Two", "One"]);
    expect(all.truncated).toBe(false);
    expect(asked).toEqual([undefined, "t1", "t2"]);

    asked.length = 0;
    const partial = await objectEvents({ core, call: makeCall("east", 1_000), pageSize: 1, maxPages: 2 }).objectEvents("shop", [{ kind: "Pod", name: "a" }], 10);
    expect(partial.events.map((e) => e.reason)).toEqual(["Two", "One"]);
    expect(partial.truncated).toBe(true);
  });
});
