import { describe, expect, it } from "vitest";
import type { NotificationSink } from "../model/types.ts";
import { eventId, sinkFingerprint } from "./event-id.ts";

const hook: NotificationSink = { webhook: { url: "https://hooks.example.com/a", secretFile: "/etc/k" } };

describe("eventId", () => {
  it("is 32 hex characters, the same for the same notification, sink and key", () => {
    const id = eventId("team", hook, "failed|east|shop/web|d|upgrade@t");
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(eventId("team", { webhook: { secretFile: "/etc/k", url: "https://hooks.example.com/a" } }, "failed|east|shop/web|d|upgrade@t")).toBe(id);
  });

  it.each([
    ["another Notification", () => eventId("ops", hook, "k")],
    ["another sink", () => eventId("team", { webhook: { url: "https://hooks.example.com/b", secretFile: "/etc/k" } }, "k")],
    ["another key", () => eventId("team", hook, "k2")],
  ])("differs for %s", (_name, other) => {
    expect(other()).not.toBe(eventId("team", hook, "k"));
  });

  it("a sink is known by what it is, not by its place in the list", () => {
    expect(sinkFingerprint({ slack: { urlFile: "/etc/s" } })).toBe(sinkFingerprint({ slack: { urlFile: "/etc/s" } }));
    expect(sinkFingerprint({ slack: { urlFile: "/etc/s" } })).not.toBe(sinkFingerprint({ slack: { urlFile: "/etc/t" } }));
  });
});
