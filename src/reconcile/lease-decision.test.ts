import { describe, expect, it } from "vitest";
import { decideLease, type LeaseDecision, type LeaseDecisionInput, observe, observeEveryMs, observeWindowMs } from "./lease-decision.ts";

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

describe("observe", () => {
  it("an unchanged renewal keeps the time it was first taken to happen", () => {
    expect(observe({ key: "a@1", at: 500 }, "a@1", 2_000, 1_000, 1_500)).toEqual({ key: "a@1", at: 500 });
  });
  it("a new renewal happened after the previous read: counted from that read's start", () => {
    expect(observe({ key: "a@1", at: 500 }, "a@2", 2_000, 1_200, 1_000)).toEqual({ key: "a@2", at: 1_200 });
  });
  it("a Lease new since the previous read: also from that read's start", () => {
    expect(observe(undefined, "a@1", 2_000, 1_200, 1_000)).toEqual({ key: "a@1", at: 1_200 });
  });
  it("the first read has nothing before it: counted from the read itself", () => {
    expect(observe(undefined, "a@1", 2_000, undefined, 1_000)).toEqual({ key: "a@1", at: 2_000 });
  });
  it("a window wider than allowed (a failed read, a stalled loop): counted from the read itself", () => {
    expect(observe({ key: "a@1", at: 500 }, "a@2", 2_000, 900, 1_000)).toEqual({ key: "a@2", at: 2_000 });
  });
  it("the window is half the margin between the renew deadline and the duration", () => {
    expect(observeWindowMs(6_000, 4_000)).toBe(1_000);
    expect(observeWindowMs(15_000, 10_000)).toBe(2_500);
    expect(observeEveryMs(observeWindowMs(6_000, 4_000))).toBe(750);
  });
  it("with it, a holder that stops acting at its deadline never overlaps a successor", () => {
    // holder renews at 10_000 (its time before the write), commit lands by 10_050, it would stop at 10_000 + 4_000
    const durationMs = 6_000;
    const deadline = 4_000;
    const w = observeWindowMs(durationMs, deadline);
    // the worst case: the previous read started as early as the window allows, the next one just after the commit
    const seen = observe({ key: "h@9", at: 0 }, "h@10", 10_050, 10_050 - w, w);
    const successorFrom = seen.at + durationMs;
    expect(successorFrom).toBeGreaterThan(10_000 + deadline);
  });
});
