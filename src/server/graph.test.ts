import { describe, expect, it } from "vitest";
import { runReport, status } from "../../test/unit/helpers/serve-fixtures.ts";
import type { RunReport } from "../reconcile/loop.ts";
import type { DesiredRevision } from "../reconcile/revision.ts";
import { applicationGraph } from "./graph.ts";

/** The fixture's plan, with `needs` per cluster and release, and canary clusters for shop. */
function snap(needs: Record<string, Record<string, string[]>>, canary: string[] = [], extra: Record<string, Array<{ name: string; application: string }>> = {}) {
  const report: RunReport = runReport();
  for (const c of report.clusters) {
    const plan = c.plan!;
    for (const e of extra[c.cluster] ?? []) plan.releases.push({ ...plan.releases[0]!, ...e });
    for (const r of plan.releases) r.needs = needs[c.cluster]?.[r.name] ?? [];
  }
  const clusters = report.clusters.map((c) => ({ metadata: { name: c.cluster, labels: {} } }));
  report.desired = { repo: { clusters, applications: [{ metadata: { name: "shop" }, spec: canary.length ? { placement: { rollout: { canary } } } : {} }] } } as unknown as DesiredRevision;
  return { report, status: status(), blocked: new Map([["west/shop-api", "waiting for canary cluster east"]]) };
}

describe("applicationGraph", () => {
  it("puts each release one level past what it needs, with its deploy state", () => {
    const g = applicationGraph(snap({ east: { "shop-api": ["shop-redis"] } }), "shop")!;
    expect(g.clusters[0]).toEqual({
      cluster: "east",
      wave: 1,
      reachable: true,
      nodes: [
        { name: "shop-redis", level: 0, needs: [], state: "succeeded", stateReason: "Deployment shop/x: 1/1 available" },
        { name: "shop-api", level: 1, needs: ["shop-redis"], state: "succeeded", stateReason: "Deployment shop/x: 1/1 available" },
      ],
    });
    expect(g.clusters[1]!.nodes).toEqual([expect.objectContaining({ name: "shop-api", level: 0, state: "failed", blocked: "waiting for canary cluster east" })]);
  });

  it.each<[string, string[], Array<[string, number]>]>([
    ["no canary: every cluster is wave 1, in the plan's order", [], [["east", 1], ["west", 1]]],
    ["canary east: east, then west", ["east"], [["east", 1], ["west", 2]]],
    ["canary west: west first", ["west"], [["west", 1], ["east", 2]]],
  ])("%s", (_name, canary, waves) => {
    const g = applicationGraph(snap({}, canary), "shop")!;
    expect(g.canary).toEqual(canary);
    expect(g.clusters.map((c) => [c.cluster, c.wave])).toEqual(waves);
  });

  it("draws another application's release it needs, named with its application", () => {
    const g = applicationGraph(snap({ east: { "shop-api": ["auth-server"] } }, [], { east: [{ name: "auth-server", application: "auth" }] }), "shop")!;
    expect(g.clusters[0]!.nodes.map((n) => [n.name, n.level, n.application])).toEqual([
      ["auth-server", 0, "auth"],
      ["shop-redis", 0, undefined],
      ["shop-api", 1, undefined],
    ]);
    // the other application's own picture does not show shop
    expect(applicationGraph(snap({ east: { "shop-api": ["auth-server"] } }, [], { east: [{ name: "auth-server", application: "auth" }] }), "auth")!.clusters[0]!.nodes.map((n) => n.name)).toEqual(["auth-server"]);
  });

  it("has nothing for an application no plan holds", () => {
    expect(applicationGraph(snap({}), "blog")).toBeUndefined();
  });
});
