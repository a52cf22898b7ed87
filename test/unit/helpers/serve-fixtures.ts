// A fixed status snapshot and run report, and a fake Reconciler that serves
// them, for the server's unit tests (the end-to-end test uses the real loop).
import type { ActionRecord } from "../../../src/reconcile/memo.ts";
import type { Reconciler, RunReport } from "../../../src/reconcile/loop.ts";
import type { GitSource } from "../../../src/reconcile/source.ts";
import type { StatusSnapshot } from "../../../src/reconcile/status.ts";
import type { ReleaseResult } from "../../../src/reconcile/release.ts";
import type { ClusterResult } from "../../../src/reconcile/cluster.ts";
import { buildGraph } from "../../../src/plan/dag.ts";

export const SHA1 = "1111111111111111111111111111111111111111";
export const SHA2 = "2222222222222222222222222222222222222222";

export function record(over: Partial<ActionRecord> = {}): ActionRecord {
  return {
    at: "2025-01-01T00:00:00.000Z",
    commit: SHA1,
    cluster: "east",
    release: "shop-api",
    namespace: "shop",
    application: "shop",
    action: "install",
    toVersion: "3.0.6",
    steps: [],
    result: "succeeded",
    helmRevision: 1,
    durationMs: 1200,
    ...over,
  };
}

export function status(revision = SHA1): StatusSnapshot {
  const rel = (name: string, version: string, health: "healthy" | "unhealthy") => ({
    name,
    namespace: "shop",
    application: "shop",
    desiredVersion: version,
    deployedVersion: version,
    helmRevision: 1,
    helmStatus: "deployed",
    health,
    state: health === "healthy" ? ("succeeded" as const) : ("failed" as const),
    stateReason: health === "healthy" ? "Deployment shop/x: 1/1 available" : "upgrade failed: timed out waiting for the condition",
    suspended: false,
    lastAction: { action: "install" as const, at: "2025-01-01T00:00:00.000Z", result: "succeeded" as const, commit: revision, toVersion: version },
  });
  return {
    source: "file:///repo.git",
    revision,
    lastAppliedRevision: revision,
    clusters: [
      { name: "east", reachable: true, paused: false, releases: [rel("shop-api", "3.0.6", "healthy"), rel("shop-redis", "7.2.4", "healthy")] },
      { name: "west", reachable: true, paused: false, releases: [{ ...rel("shop-api", "3.0.5", "unhealthy"), lastError: "upgrade failed: timed out waiting for the condition" }] },
    ],
  };
}

function result(name: string, records: ActionRecord[], outcome: ReleaseResult["outcome"] = records.length ? "applied" : "unchanged"): ReleaseResult {
  return {
    name,
    namespace: "shop",
    application: "shop",
    outcome,
    reason: outcome === "blocked" ? "needs shop-redis" : "in sync",
    records,
    final: {
      name,
      namespace: "shop",
      application: "shop",
      state: { name: "Absent", reason: "not installed" },
      action: { kind: "install", to: "3.0.6", steps: [] },
      needs: [],
    },
  };
}

function cluster(name: string, durationMs: number, releases: ReleaseResult[]): ClusterResult {
  return { cluster: name, reachable: true, durationMs, releases, plan: { cluster: name, releases: releases.map((r) => r.final), graph: buildGraph([]) } };
}

export function runReport(over: Partial<RunReport> = {}): RunReport {
  return {
    revision: SHA1,
    clusters: [
      cluster("east", 1500, [result("shop-api", [record()]), result("shop-redis", [])]),
      cluster("west", 700, [result("shop-api", [record({ cluster: "west", action: "upgrade", result: "failed", error: "boom" })], "failed")]),
    ],
    helmCalls: 3,
    durationMs: 2300,
    ...over,
  };
}

export interface FakeReconciler extends Reconciler {
  runs: number;
  snapshots: number;
  /** What the next runs return. */
  next: RunReport;
  snapshotStatus: StatusSnapshot;
}

export function fakeReconciler(): FakeReconciler {
  const fake: FakeReconciler = {
    runs: 0,
    snapshots: 0,
    next: runReport(),
    snapshotStatus: status(),
    statePath: "/nonexistent/state.json",
    refreshCharts() {},
    async runOnce() {
      fake.runs++;
      return fake.next;
    },
    async snapshot() {
      fake.snapshots++;
      return { status: fake.snapshotStatus, blocked: new Map([["west/shop-api", "needs shop-redis, which is not healthy"]]), report: { ...fake.next, helmCalls: 0 } };
    },
    async state() {
      return { source: "file:///repo.git", clusters: {} };
    },
    async checkDrift() {
      return { revision: fake.next.revision, reports: [] };
    },
  };
  return fake;
}

export function fakeSource(): GitSource {
  return {
    kind: "remote",
    location: "file:///repo.git",
    fetch: () => Promise.reject(new Error("not used")),
    status: () => ({}),
    close: async () => undefined,
  };
}
