import { describe, expect, it } from "vitest";
import { finalStatuses, invalidStatuses, pendingStatus } from "./commit-state.ts";
import type { PassView } from "./events.ts";
import { SHA, cluster, notification, record, release } from "./test-fixtures.ts";

const placed = () => ["shop"];
const states = (n: ReturnType<typeof notification>, pass: PassView) => finalStatuses(n, pass, placed).map((u) => `${u.cluster}:${u.state}`);

describe("pendingStatus", () => {
  it("is set where the Notification follows the cluster and one of its applications is placed", () => {
    expect(pendingStatus(notification({}), "east", SHA, ["shop"])).toMatchObject({ cluster: "east", sha: SHA, state: "pending", key: `status|east|${SHA}|pending` });
    expect(pendingStatus(notification({ clusters: ["west"] }), "east", SHA, ["shop"])).toBeUndefined();
    expect(pendingStatus(notification({ applications: ["billing"] }), "east", SHA, ["shop"])).toBeUndefined();
  });
});

describe("finalStatuses", () => {
  const ok = release("applied", "in sync", [record("upgrade", "succeeded", "t")]);
  it.each([
    { name: "every release in sync: success", pass: { revision: SHA, clusters: [cluster("east", [ok, release("unchanged", "in sync", [], { name: "shop-db" })])] }, want: ["east:success"] },
    { name: "a failed release: failure", pass: { revision: SHA, clusters: [cluster("east", [ok, release("failed", "boom", [], { name: "shop-db" })])] }, want: ["east:failure"] },
    { name: "a blocked release: failure", pass: { revision: SHA, clusters: [cluster("east", [release("blocked", "needs redis")])] }, want: ["east:failure"] },
    { name: "an unreachable cluster: failure", pass: { revision: SHA, clusters: [cluster("east", [], { reachable: false, error: "dial tcp: refused" })] }, want: ["east:failure"] },
    {
      name: "a wave held for approval stays pending",
      pass: { revision: SHA, clusters: [cluster("east", [ok]), cluster("west", [release("blocked", "wave 2 waits for approval")])], rollout: [{ application: "shop", revision: SHA, waves: [{ index: 1, clusters: ["east"], state: "done" as const }, { index: 2, clusters: ["west"], state: "waiting" as const, waitingFor: "approval" as const }] }] },
      want: ["east:success"],
    },
    { name: "another application's failure does not count", pass: { revision: SHA, clusters: [cluster("east", [ok, release("failed", "boom", [], { name: "billing-api", application: "billing" })])] }, want: ["east:success"] },
    { name: "no revision (invalid, source error): nothing", pass: { clusters: [cluster("east", [ok])] }, want: [] },
  ])("$name", ({ pass, want }) => {
    expect(states(notification({}), pass)).toEqual(want);
  });

  it("only the clusters and applications the Notification follows", () => {
    const pass = { revision: SHA, clusters: [cluster("east", [ok]), cluster("west", [ok])] };
    expect(states(notification({ clusters: ["west"] }), pass)).toEqual(["west:success"]);
    expect(finalStatuses(notification({ applications: ["billing"] }), pass, placed)).toEqual([]);
  });

  it("says why in at most 140 characters", () => {
    const [u] = finalStatuses(notification({}), { revision: SHA, clusters: [cluster("east", [release("failed", "x".repeat(500))])] }, placed);
    expect(u!.description).toMatch(/^shop-web failed: x+…$/);
    expect(u!.description.length).toBe(140);
  });
});

describe("invalidStatuses", () => {
  it("failure on every cluster the Notification follows, with the problem", () => {
    expect(invalidStatuses(notification({ clusters: ["west"] }), SHA, ["east", "west"], "apps/shop.yaml:3:5 spec.namespace: required")).toEqual([
      { cluster: "west", sha: SHA, state: "failure", description: "invalid, nothing applied: apps/shop.yaml:3:5 spec.namespace: required", key: `status|west|${SHA}|failure` },
    ]);
  });
});
