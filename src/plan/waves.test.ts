import { describe, expect, it } from "vitest";
import type { Application, Cluster, Rollout } from "../model/types.ts";
import { appWaves, gateWaves, type ClusterAppState, type GateInput, type PlannedWave } from "./waves.ts";

const cluster = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } }) as unknown as Cluster;
const app = (rollout?: Rollout, selector: Record<string, string> = { env: "prod" }) =>
  ({ metadata: { name: "shop" }, spec: { namespace: "shop", components: [], placement: { clusterSelector: selector, ...(rollout ? { rollout } : {}) } } }) as unknown as Application;
const clusters = [cluster("prod-hk", { env: "prod", region: "ap" }), cluster("prod-eu1", { env: "prod", region: "eu" }), cluster("prod-eu2", { env: "prod", region: "eu" }), cluster("prod-us", { env: "prod", region: "us" }), cluster("dev", { env: "dev" })];
const names = (ws: PlannedWave[]) => ws.map((w) => w.clusters);

describe("appWaves", () => {
  it.each<[string, Rollout | undefined, string[][]]>([
    ["no rollout: one wave of every placed cluster", undefined, [["prod-eu1", "prod-eu2", "prod-hk", "prod-us"]]],
    ["canary: a first wave, then the rest", { canary: ["prod-hk"] }, [["prod-hk"], ["prod-eu1", "prod-eu2", "prod-us"]]],
    ["waves by name and selector; the unlisted go last", { waves: [{ clusters: ["prod-hk"] }, { clusterSelector: { region: "eu" } }] }, [["prod-hk"], ["prod-eu1", "prod-eu2"], ["prod-us"]]],
    ["a cluster listed twice goes in the first wave naming it", { waves: [{ clusterSelector: { region: "eu" } }, { clusters: ["prod-eu1", "prod-us"] }] }, [["prod-eu1", "prod-eu2"], ["prod-us"], ["prod-hk"]]],
    ["canary with waves joins the first wave", { canary: ["prod-us"], waves: [{ clusters: ["prod-hk"] }, { clusters: ["prod-eu1", "prod-eu2"] }] }, [["prod-hk", "prod-us"], ["prod-eu1", "prod-eu2"]]],
    ["clusters the application is not placed on are never in a wave", { waves: [{ clusters: ["dev", "prod-hk"] }] }, [["prod-hk"], ["prod-eu1", "prod-eu2", "prod-us"]]],
  ])("%s", (_, rollout, want) => {
    expect(names(appWaves(app(rollout), clusters))).toEqual(want);
  });

  it("keeps soak and approval on their wave and numbers from 1", () => {
    const w = appWaves(app({ waves: [{ clusters: ["prod-hk"] }, { clusterSelector: { region: "eu" }, soak: "10m" }, { clusters: ["prod-us"], approval: "manual" }] }), clusters);
    expect(w).toEqual([
      { index: 1, clusters: ["prod-hk"] },
      { index: 2, clusters: ["prod-eu1", "prod-eu2"], soak: "10m" },
      { index: 3, clusters: ["prod-us"], approval: "manual" },
    ]);
  });
});

describe("gateWaves", () => {
  const now = new Date("2026-12-02T12:00:00Z");
  const waves: PlannedWave[] = [
    { index: 1, clusters: ["a"] },
    { index: 2, clusters: ["b"], soak: "10m" },
    { index: 3, clusters: ["c"], approval: "manual" },
  ];
  const done = (since: string): ClusterAppState => ({ done: true, doneSince: since });
  const gate = (states: Record<string, ClusterAppState>, over: Partial<GateInput> = {}) =>
    gateWaves({ application: "shop", revision: "0123456789abcdef", waves, wait: "healthy", states: new Map(Object.entries(states)), approved: new Set(), now, ...over });
  const summary = (g: ReturnType<typeof gate>) => g.rollout.waves.map((w) => `${w.index}:${w.state}${w.waitingFor ? `(${w.waitingFor})` : ""}`);

  it.each<[string, Record<string, ClusterAppState>, Partial<GateInput>, string[], string[]]>([
    ["nothing said yet: wave 1 is open, the rest wait on it", {}, {}, ["1:active", "2:waiting(previous-wave)", "3:waiting(previous-wave)"], ["a"]],
    ["wave 1 healthy 5 minutes ago: wave 2 soaks for 10", { a: done("2026-12-02T11:55:00Z") }, {}, ["1:done", "2:waiting(soak)", "3:waiting(previous-wave)"], ["a"]],
    ["soak over: wave 2 goes", { a: done("2026-12-02T11:49:00Z") }, {}, ["1:done", "2:active", "3:waiting(previous-wave)"], ["a", "b"]],
    ["wave 2 done: wave 3 waits for a person", { a: done("2026-12-02T11:00:00Z"), b: done("2026-12-02T11:30:00Z") }, {}, ["1:done", "2:done", "3:waiting(approval)"], ["a", "b"]],
    ["approved: wave 3 goes", { a: done("2026-12-02T11:00:00Z"), b: done("2026-12-02T11:30:00Z") }, { approved: new Set([3]) }, ["1:done", "2:done", "3:active"], ["a", "b", "c"]],
    ["a wave already done needs nothing: no approval asked", { a: done("2026-12-02T11:00:00Z"), b: done("2026-12-02T11:30:00Z"), c: done("2026-12-01T00:00:00Z") }, {}, ["1:done", "2:done", "3:done"], ["a", "b", "c"]],
    ["a failed wave 1 holds the rest", { a: { done: false, failed: "shop-api failed (timed out)" } }, {}, ["1:failed", "2:waiting(previous-wave)", "3:waiting(previous-wave)"], ["a"]],
    ["wait: none does not wait for wave 1, but a soak still counts from it", {}, { wait: "none", waves: [waves[0]!, { index: 2, clusters: ["b"] }] }, ["1:active", "2:active"], ["a", "b"]],
  ])("%s", (_, states, over, want, open) => {
    const g = gate(states, over);
    expect(summary(g)).toEqual(want);
    expect([...g.open].sort()).toEqual(open);
  });

  it("says what a held wave waits for, since when and until when", () => {
    const g = gate({ a: done("2026-12-02T11:55:00Z") });
    expect(g.rollout.waves[1]).toMatchObject({ since: "2026-12-02T11:55:00Z", until: "2026-12-02T12:05:00.000Z" });
    expect(g.held.get("b")).toBe("soaking: wave 1 of shop healthy since 11:55:00Z, wave 2 starts at 12:05:00Z");
    const a = gate({ a: done("2026-12-02T11:00:00Z"), b: done("2026-12-02T11:30:00Z") });
    expect(a.held.get("c")).toBe("waiting for approval: berth approve shop --wave 3 --revision 0123456789ab");
    const f = gate({ a: { done: false, failed: "shop-api failed (timed out)" } });
    expect(f.held.get("b")).toBe("held: wave 1 of shop failed (a: shop-api failed (timed out))");
    expect(f.held.get("c")).toBe("held: wave 1 of shop failed (a: shop-api failed (timed out))");
  });
});
