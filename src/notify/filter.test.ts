import { describe, expect, it } from "vitest";
import type { NotifyEvent } from "./events.ts";
import { matches } from "./filter.ts";
import { notification } from "./test-fixtures.ts";

const ev = (over: Partial<NotifyEvent>): NotifyEvent => ({ event: "failed", cluster: "east", application: "shop", at: "t", key: "k", ...over });

describe("matches", () => {
  it.each([
    { name: "no filters: every event but drift", spec: {}, e: ev({}), want: true },
    { name: "drift only when named", spec: {}, e: ev({ event: "drift" }), want: false },
    { name: "drift named", spec: { on: ["drift" as const] }, e: ev({ event: "drift" }), want: true },
    { name: "an event not in on", spec: { on: ["succeeded" as const] }, e: ev({}), want: false },
    { name: "an application named", spec: { applications: ["shop"] }, e: ev({}), want: true },
    { name: "an application not named", spec: { applications: ["billing"] }, e: ev({}), want: false },
    { name: "an event of no application reaches only Notifications naming none", spec: { applications: ["shop"] }, e: ev({ application: undefined }), want: false },
    { name: "a cluster named", spec: { clusters: ["east"] }, e: ev({}), want: true },
    { name: "a cluster not named", spec: { clusters: ["west"] }, e: ev({}), want: false },
    { name: "a wave over several clusters: any one named", spec: { clusters: ["west"] }, e: ev({ event: "waiting-approval", cluster: "east", clusters: ["east", "west"] }), want: true },
  ])("$name", ({ spec, e, want }) => {
    expect(matches(notification(spec), e)).toBe(want);
  });
});
