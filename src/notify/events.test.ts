import { describe, expect, it } from "vitest";
import { driftEvents, passEvents, type PassView } from "./events.ts";
import { SHA, cluster, record, release } from "./test-fixtures.ts";

const NOW = "2026-12-03T00:00:00.000Z";
const pass = (releases: PassView["clusters"][number]["releases"], over: Partial<PassView> = {}): PassView => ({ revision: SHA, clusters: [cluster("east", releases)], ...over });

describe("passEvents", () => {
  it.each([
    {
      name: "an upgrade that succeeded",
      releases: [release("applied", "in sync", [record("upgrade", "succeeded", "2026-12-02T23:00:00.000Z", { fromVersion: "1.0.0", toVersion: "1.1.0" })])],
      want: [{ event: "succeeded", action: "upgrade", fromVersion: "1.0.0", toVersion: "1.1.0", at: "2026-12-02T23:00:00.000Z", key: "succeeded|east|shop/shop-web|sha256:d1|upgrade@2026-12-02T23:00:00.000Z" }],
    },
    {
      name: "a failed upgrade rolled back: failed, keyed by the failed record",
      releases: [release("failed", "health timed out", [record("upgrade", "failed", "2026-12-02T23:00:00.000Z", { error: "health timed out" }), record("rollback", "succeeded", "2026-12-02T23:01:00.000Z")])],
      want: [{ event: "failed", action: "upgrade", reason: "health timed out", key: "failed|east|shop/shop-web|sha256:d1|upgrade@2026-12-02T23:00:00.000Z" }],
    },
    {
      name: "blocked, keyed by its reason",
      releases: [release("blocked", "needs redis, which failed")],
      want: [{ event: "blocked", reason: "needs redis, which failed", at: NOW, key: expect.stringMatching(/^blocked\|east\|shop\/shop-web\|sha256:d1\|reason:[0-9a-f]{16}$/) }],
    },
    { name: "a release waiting out its retry backoff (its failure was told)", releases: [release("blocked", "retry 2 of 5 in 17s after 1 failure; last attempt: boom")], want: [] },
    { name: "unchanged", releases: [release("unchanged", "in sync")], want: [] },
    { name: "an uninstall is no success of a release", releases: [release("applied", "gone", [record("uninstall", "succeeded", NOW)])], want: [] },
  ])("$name", ({ releases, want }) => {
    expect(passEvents(pass(releases), NOW)).toEqual(want.map((w) => expect.objectContaining({ cluster: "east", application: "shop", release: "shop-web", namespace: "shop", revision: SHA, ...w })));
  });

  it("the same blocked reason gives the same key on the next pass, a new digest a new one", () => {
    const a = passEvents(pass([release("blocked", "gave up after 3 failed attempts at this revision")]), NOW)[0]!.key;
    const b = passEvents(pass([release("blocked", "gave up after 3 failed attempts at this revision")]), "2027-01-01T00:00:00.000Z")[0]!.key;
    const c = passEvents(pass([release("blocked", "gave up after 3 failed attempts at this revision", [], { digest: "sha256:d2" })]), NOW)[0]!.key;
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("an unreachable cluster has no release events (its commit status says it)", () => {
    expect(passEvents({ revision: SHA, clusters: [cluster("east", [], { reachable: false, error: "no answer" })] }, NOW)).toEqual([]);
  });

  it("a wave waiting for approval is one event over its clusters, per revision and wave", () => {
    const rollout = [{ application: "shop", revision: SHA, waves: [
      { index: 1, clusters: ["east"], state: "done" as const },
      { index: 2, clusters: ["west", "north"], state: "waiting" as const, waitingFor: "approval" as const, since: "2026-12-02T22:00:00.000Z" },
      { index: 3, clusters: ["south"], state: "waiting" as const, waitingFor: "previous-wave" as const },
    ] }];
    expect(passEvents({ revision: SHA, clusters: [], rollout }, NOW)).toEqual([
      { event: "waiting-approval", cluster: "north", clusters: ["north", "west"], application: "shop", revision: SHA, wave: 2, reason: "wave 2 waits for `berth approve shop --wave 2`", at: "2026-12-02T22:00:00.000Z", key: `waiting-approval|shop|${SHA}|wave 2` },
    ]);
  });
});

describe("driftEvents", () => {
  const report = (fields: string[], over: object = {}) => ({
    cluster: "east", application: "shop", release: "shop-web", namespace: "shop", policy: "report" as const, revision: 3, count: fields.length,
    drifted: [{ apiVersion: "apps/v1", kind: "Deployment", name: "shop-web", fields: fields.map((path) => ({ path, expected: "s3cret-expected", live: "s3cret-live" })) }],
    ...over,
  });

  it("names the drifted fields, never their values", () => {
    const [e] = driftEvents([report(["spec.replicas", "spec.template.spec.containers[0].image"])], SHA, NOW);
    expect(e).toMatchObject({ event: "drift", cluster: "east", release: "shop-web", reason: "2 fields differ from what Helm applied: Deployment/shop-web: spec.replicas, Deployment/shop-web: spec.template.spec.containers[0].image" });
    expect(JSON.stringify(e)).not.toContain("s3cret");
  });

  it("the same drift keeps its key; another field or Helm revision is another event; no drift or a failed check is none", () => {
    const k = (r: ReturnType<typeof report>) => driftEvents([r], SHA, NOW)[0]?.key;
    expect(k(report(["a", "b"]))).toBe(k(report(["b", "a"])));
    expect(k(report(["a", "c"]))).not.toBe(k(report(["a", "b"])));
    expect(k(report(["a"], { revision: 4 }))).not.toBe(k(report(["a"])));
    expect(k(report([]))).toBeUndefined();
    expect(k(report(["a"], { error: "unreachable" }))).toBeUndefined();
  });
});
