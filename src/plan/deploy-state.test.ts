import { describe, expect, it } from "vitest";
import { deployState, SETTLING_MS, type DeployStateInput } from "./deploy-state.ts";

const NOW = Date.parse("2026-12-02T12:00:00Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const ok: DeployStateInput = { declared: true, desiredVersion: "1.1.0", deployedVersion: "1.1.0", helmStatus: "deployed", health: "healthy", healthMessage: "Deployment a/b: 2/2 available", lastAction: { result: "succeeded", at: ago(60 * 60_000) } };

describe("deployState", () => {
  it.each<[string, Partial<DeployStateInput>, string, RegExp]>([
    ["deployed, healthy, on the desired version", {}, "succeeded", /2\/2 available/],
    ["suspended in git, whatever else holds", { suspendedInGit: "apps/shop.yaml:9:7 spec.suspended", helmStatus: "failed", health: "unhealthy" }, "stopped", /suspended: true in git \(apps\/shop\.yaml:9:7 spec\.suspended\)/],
    ["scaled to zero, not 'healthy 0/0'", { scaledToZero: true, healthMessage: "scaled to zero (Deployment a/b)" }, "stopped", /^scaled to zero/],
    ["helm at work", { helmStatus: "pending-upgrade" }, "deploying", /helm is at work \(pending-upgrade\)/],
    ["a new version not yet applied", { desiredVersion: "1.2.0" }, "deploying", /1\.1\.0 -> 1\.2\.0/],
    ["not installed yet", { deployedVersion: undefined, health: "absent", helmStatus: undefined, lastAction: undefined }, "deploying", /not deployed yet \(1\.1\.0\)/],
    ["the last action failed (and a retry waits)", { lastAction: { result: "failed", at: ago(1000) }, blocked: "retry 2 of 5 in 20s after 1 failure" }, "failed", /retry 2 of 5/],
    ["helm says failed", { helmStatus: "failed" }, "failed", /^helm's latest revision failed$/],
    ["the last action failed, with its error", { lastAction: { result: "failed", at: ago(1000) }, lastError: "helm upgrade: timed out" }, "failed", /^helm upgrade: timed out$/],
    ["blocked by a missing rollback step", { desiredVersion: "1.0.0", blocked: "cannot go down from 1.1.0 to 1.0.0: …" }, "blocked", /cannot go down/],
    ["unhealthy just after an action: still coming up", { health: "unhealthy", healthMessage: "Deployment a/b: 1/2 available", lastAction: { result: "succeeded", at: ago(10_000) } }, "deploying", /1\/2 available/],
    ["unhealthy long after: failed", { health: "unhealthy", healthMessage: "Deployment a/b: 0/2 available", lastAction: { result: "succeeded", at: ago(SETTLING_MS + 1) } }, "failed", /0\/2 available/],
    ["no longer in git, left deployed", { declared: false, desiredVersion: undefined, health: "unknown" }, "succeeded", /no longer declared/],
  ])("%s -> %s", (_name, patch, state, reason) => {
    const got = deployState({ ...ok, ...patch }, NOW);
    expect(got.state).toBe(state);
    expect(got.reason).toMatch(reason);
  });
});
