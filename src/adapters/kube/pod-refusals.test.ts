import { describe, expect, it } from "vitest";
import { refusalMessages, type RefusalEvent } from "./pod-refusals.ts";

const since = new Date("2025-01-01T10:00:00.500Z");
const ev = (kind: string, name: string, at: string, message = `Error creating: pods "${name}-x" is forbidden: violates PodSecurity "restricted:latest": privileged`): RefusalEvent => ({
  involvedObject: { kind, name },
  message,
  lastTimestamp: at,
});

describe("refusalMessages", () => {
  it.each<[string, RefusalEvent[], string[]]>([
    ["a ReplicaSet of the release", [ev("ReplicaSet", "shop-api-5d8f9", "2025-01-01T10:00:03Z")], ['ReplicaSet shop-api-5d8f9: Error creating: pods "shop-api-5d8f9-x" is forbidden: violates PodSecurity "restricted:latest": privileged']],
    ["a StatefulSet or Job named as the release", [ev("StatefulSet", "shop-api", "2025-01-01T10:00:03Z"), ev("Job", "shop-api", "2025-01-01T10:00:04Z")], [expect.stringMatching(/^Job shop-api: /), expect.stringMatching(/^StatefulSet shop-api: /)]],
    ["another release whose name only starts the same", [ev("ReplicaSet", "shop-apiserver-1", "2025-01-01T10:00:03Z"), ev("ReplicaSet", "shop-ap-1", "2025-01-01T10:00:03Z")], []],
    ["an object that creates no pods", [ev("Deployment", "shop-api", "2025-01-01T10:00:03Z")], []],
    ["before the action began (the same second counts)", [ev("ReplicaSet", "shop-api-1", "2025-01-01T09:59:59Z"), ev("ReplicaSet", "shop-api-2", "2025-01-01T10:00:00Z")], [expect.stringMatching(/^ReplicaSet shop-api-2: /)]],
    ["the newest message of each controller", [ev("ReplicaSet", "shop-api-1", "2025-01-01T10:00:05Z", "quota"), ev("ReplicaSet", "shop-api-1", "2025-01-01T10:00:03Z", "old")], ["ReplicaSet shop-api-1: quota"]],
  ])("%s", (_n, events, want) => {
    expect(refusalMessages(events, "shop-api", since)).toEqual(want);
  });

  it("an Event with only an eventTime or a creationTimestamp still has a time", () => {
    const e: RefusalEvent = { involvedObject: { kind: "Job", name: "shop-api" }, message: "m", eventTime: "2025-01-01T10:00:02Z" };
    const f: RefusalEvent = { involvedObject: { kind: "ReplicaSet", name: "shop-api-1" }, message: "n", metadata: { creationTimestamp: new Date("2025-01-01T10:00:02Z") } };
    expect(refusalMessages([e, f], "shop-api", since)).toEqual(["Job shop-api: m", "ReplicaSet shop-api-1: n"]);
  });
});
