import { describe, expect, it } from "vitest";
import { decideLease, type LeaseDecision, type LeaseDecisionInput } from "./lease-decision.ts";

const base: LeaseDecisionInput = { identity: "me", now: 100_000, observedAt: 100_000, leading: false, renewDeadlineMs: 10_000 };
const lease = (holder: string | undefined, durationMs = 15_000) => ({ ...(holder !== undefined ? { holder } : {}), renewTime: 90_000, durationMs });

describe("decideLease", () => {
  const cases: Array<[string, Partial<LeaseDecisionInput>, LeaseDecision["kind"], Partial<LeaseDecision>?]> = [
    ["no lease: create it", {}, "acquire", { create: true }],
    ["a released lease (empty holder): take it", { lease: lease("") }, "acquire", { create: false }],
    ["a lease without holder: take it", { lease: lease(undefined) }, "acquire", { create: false }],
    ["held by another, just seen: wait the full duration", { lease: lease("other") }, "wait", { holder: "other", expiresInMs: 15_000 }],
    ["held by another, seen 14.9 s ago: still wait", { lease: lease("other"), observedAt: 85_100 }, "wait", { expiresInMs: 100 }],
    ["held by another, not renewed for the duration: take over", { lease: lease("other"), observedAt: 85_000 }, "acquire", { create: false }],
    [
      "expiry counts from local observation, not the holder's clock",
      { lease: { holder: "other", renewTime: 0, durationMs: 15_000 }, observedAt: 99_000 },
      "wait",
      { expiresInMs: 14_000 },
    ],
    ["leading and the lease is mine: renew", { leading: true, lastRenewedAt: 98_000, lease: lease("me") }, "renew"],
    ["not leading but the lease names me (restart): take it back", { lease: lease("me") }, "acquire", { create: false }],
    ["leading but another holds it: lost", { leading: true, lastRenewedAt: 98_000, lease: lease("other") }, "lost"],
    ["leading but it was released: lost", { leading: true, lastRenewedAt: 98_000, lease: lease("") }, "lost"],
    ["leading, renew deadline passed: lost even if the lease still names me", { leading: true, lastRenewedAt: 89_999, lease: lease("me") }, "lost"],
    ["leading, exactly at the deadline: renew", { leading: true, lastRenewedAt: 90_000, lease: lease("me") }, "renew"],
  ];
  it.each(cases)("%s", (_name, input, kind, extra) => {
    const d = decideLease({ ...base, ...input });
    expect(d.kind).toBe(kind);
    if (extra) expect(d).toMatchObject(extra);
  });
});
