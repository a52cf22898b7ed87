import { describe, expect, it } from "vitest";
import type { PlannedRelease } from "../plan/plan.ts";
import { spec } from "../plan/test-specs.ts";
import type { DriftReport } from "./drift-check.ts";
import type { ActionRecord } from "./memo.ts";
import { progressSink, releaseDone, trackCluster, trackDrift, waitingOn, type ProgressEvent } from "./progress.ts";
import type { ReleaseResult } from "./release.ts";

const planned = (name: string, needs: string[], dependsOn: string[] = []): PlannedRelease => ({
  name,
  namespace: "shop",
  desired: spec(name, { dependsOn }),
  state: { name: "Absent", reason: "not installed" },
  action: { kind: "install", to: "1.0.0", steps: [] },
  needs,
});

const record = (action: ActionRecord["action"], over: Partial<ActionRecord> = {}): ActionRecord => ({
  at: "2025-01-01T00:00:00Z", commit: "c1", cluster: "east", release: "shop-api", namespace: "shop", action, steps: [], result: "succeeded", durationMs: 1, ...over,
});

const result = (outcome: ReleaseResult["outcome"], records: ActionRecord[], reason = "in sync"): ReleaseResult => ({
  name: "shop-api", namespace: "shop", outcome, reason, final: planned("shop-api", []), records,
});

describe("progressSink", () => {
  it("is a no-op without a sink, and a sink that throws does not reach the pass", () => {
    expect(() => progressSink(undefined)({ kind: "cluster-start", cluster: "east", work: "reconcile" })).not.toThrow();
    const seen: ProgressEvent[] = [];
    const sink = progressSink((e) => {
      seen.push(e);
      throw new Error("terminal gone");
    });
    expect(() => sink({ kind: "cluster-start", cluster: "east", work: "reconcile" })).not.toThrow();
    expect(seen).toHaveLength(1);
  });
});

describe("releaseDone", () => {
  it.each<[string, ReleaseResult, Partial<ProgressEvent>]>([
    ["an upgrade: first from, last to", result("applied", [record("upgrade", { fromVersion: "1.0.0", toVersion: "1.1.0" })]), { result: "applied", actions: ["upgrade"], from: "1.0.0", to: "1.1.0" }],
    ["several actions in one attempt", result("applied", [record("unlock"), record("remediate"), record("upgrade", { fromVersion: "1.0.0", toVersion: "1.2.0" })]), { actions: ["unlock", "remediate", "upgrade"], from: "1.0.0", to: "1.2.0" }],
    ["a failure keeps its reason", result("failed", [record("install", { toVersion: "1.0.0", result: "failed" })], "helm timed out"), { result: "failed", actions: ["install"], to: "1.0.0", reason: "helm timed out" }],
    ["unchanged: no reason, no versions", result("unchanged", []), { result: "unchanged", actions: [] }],
  ])("%s", (_n, r, want) => {
    const e = releaseDone("east", r, 2100);
    expect(e).toMatchObject({ kind: "release-done", cluster: "east", release: "shop-api", ms: 2100, ...want });
    if (r.outcome === "unchanged") expect(e).not.toHaveProperty("reason");
  });
});

describe("waitingOn", () => {
  it.each<[string, string[], Array<{ name: string; via: string }> | undefined]>([
    ["a dependsOn need still running", ["shop-init"], [{ name: "shop-init", via: "dependsOn" }]],
    ["a requires need (not in dependsOn)", ["shop-cache"], [{ name: "shop-cache", via: "requires" }]],
    ["finished needs are not waited on", ["shop-db"], undefined],
    ["none", [], undefined],
  ])("%s", (_n, needs, want) => {
    const e = waitingOn("east", planned("shop-api", needs, ["shop-init", "shop-db"]), (n) => n === "shop-db");
    expect(e).toEqual(want ? { kind: "waiting", cluster: "east", release: "shop-api", on: want } : undefined);
  });
});

describe("trackCluster and trackDrift", () => {
  it("brackets the work with cluster-start and cluster-done, with how it ended", async () => {
    const seen: ProgressEvent[] = [];
    const { result: r } = await trackCluster((e) => seen.push(e), "east", "read", async () => 7, () => ({ reachable: false, error: "connection refused" }));
    expect(r).toBe(7);
    expect(seen.map((e) => e.kind)).toEqual(["cluster-start", "cluster-done"]);
    expect(seen).toMatchObject([{ cluster: "east", work: "read" }, { cluster: "east", reachable: false, error: "connection refused" }]);
  });

  const report = (release: string, over: Partial<DriftReport> = {}): DriftReport => ({ cluster: "east", application: "shop", release, namespace: "shop", policy: "report", drifted: [], count: 0, ...over });

  it("counts the releases to check (External stand-ins aside) and each checked one, beside the caller's hook", async () => {
    const seen: ProgressEvent[] = [];
    const metrics: string[] = [];
    const desired = [spec("shop-api"), spec("shop-db", { workloadKind: "External" })];
    const out = await trackDrift((e) => seen.push(e), "east", desired, (_c, r, n) => metrics.push(`${r}=${n}`), async (d, onDrift) => {
      onDrift("east", "shop-api", 2);
      return d.filter((r) => r.workloadKind !== "External").map((r) => report(r.name, { count: 2 }));
    });
    expect(out.map((r) => r.release)).toEqual(["shop-api"]);
    expect(metrics).toEqual(["shop-api=2"]);
    expect(seen).toMatchObject([
      { kind: "cluster-start", cluster: "east", work: "drift" },
      { kind: "cluster-planned", cluster: "east", total: 1, changing: 0 },
      { kind: "release-checked", cluster: "east", release: "shop-api", drifted: 2 },
      { kind: "cluster-done", cluster: "east", reachable: true },
    ]);
  });

  it("a cluster whose every release came back with an error was not reachable", async () => {
    const seen: ProgressEvent[] = [];
    await trackDrift((e) => seen.push(e), "east", [spec("shop-api")], undefined, async () => [report("shop-api", { error: "connect ECONNREFUSED" })]);
    expect(seen.at(-1)).toMatchObject({ kind: "cluster-done", reachable: false, error: "connect ECONNREFUSED" });
  });
});
