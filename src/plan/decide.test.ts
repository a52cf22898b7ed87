import { describe, expect, it } from "vitest";
import type { ReleaseSpec } from "../model/types.ts";
import { describeAction, type Action } from "./action.ts";
import { DEFAULT_RETRY, decide } from "./decide.ts";
import { releaseDigest } from "./digest.ts";
import { emptyMemo, type HelmStatus, type ObservedRelease, type ReleaseMemo } from "./observed.ts";
import { observeState } from "./state.ts";
import { spec } from "./test-specs.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");

const chart = (over: Partial<ReleaseSpec> = {}) =>
  spec("infra-metrics", {
    chart: { name: "metrics-server", version: "3.13.1", source: { repository: "sigs", url: "https://example.com/charts" } },
    component: { name: "metrics-server", version: "3.13.1" },
    workloadKind: "Chart",
    upgrades: [{ from: ">=3.12.0 <3.13.0", to: "3.13.1", run: { image: "backup" } }],
    ...over,
  });

/** A release on the cluster: unowned (installed by plain helm) unless `managed`. */
const found = (status: HelmStatus, over: Partial<ObservedRelease> = {}, version?: string): ObservedRelease => ({
  name: "infra-metrics",
  namespace: "infra",
  managed: false,
  prune: false,
  revisions: [{ revision: 1, status, ...(version ? { version, digest: "old" } : {}) }],
  ...over,
});

function next(desired: ReleaseSpec, observed: ObservedRelease | undefined, memo: Partial<ReleaseMemo> = {}): { state: string; action: Action } {
  const digest = releaseDigest(desired);
  const state = observeState(desired, digest, observed);
  const action = decide({ state, desired, digest, ...(observed ? { observed } : {}), memo: { ...emptyMemo(), ...memo }, now: NOW, retry: DEFAULT_RETRY });
  return { state: state.name, action };
}

const UNOWNED = "release infra-metrics in infra exists (revision 1, deployed) but berth does not own it";

describe("decide: a release berth does not own", () => {
  it.each<[string, ReleaseSpec, ObservedRelease | undefined, string, string]>([
    [
      "without adopt: blocked, saying how to adopt",
      chart(),
      found("deployed"),
      "Unmanaged",
      `blocked: ${UNOWNED}; berth never touches a release it does not own: to take it over, set \`adopt: true\` on entry metrics of Application infra ` +
        "(berth labels it, then upgrades it), or `adopt: replace` (berth keeps its manifest and values, uninstalls it and installs fresh)",
    ],
    [
      "adopt: true -> adopt by labelling",
      chart({ adopt: true }),
      found("deployed"),
      "Unmanaged",
      "adopt the release installed outside berth: label it as berth's, then upgrade to 3.13.1",
    ],
    [
      "adopt: replace -> adopt by replacing",
      chart({ adopt: "replace" }),
      found("deployed"),
      "Unmanaged",
      "adopt the release installed outside berth by replacing it: keep its manifest and values, uninstall it, install 3.13.1",
    ],
    [
      "a failed unowned release is adopted too (then remediated as berth's)",
      chart({ adopt: true }),
      found("failed"),
      "Unmanaged",
      "adopt the release installed outside berth: label it as berth's, then upgrade to 3.13.1",
    ],
    [
      "adopt on a pending release waits: another helm may be at work",
      chart({ adopt: true }),
      found("pending-upgrade"),
      "Unmanaged",
      "blocked: release infra-metrics in infra exists (revision 1, pending-upgrade) but berth does not own it; it is pending-upgrade, so another helm may be at work on it: berth adopts it once it has settled (or once someone rolls it back)",
    ],
    ["adopt on an absent release: a plain install", chart({ adopt: true }), undefined, "Absent", "install 3.13.1"],
    ["adopt: replace on an uninstalled release: a plain install", chart({ adopt: "replace" }), found("uninstalled"), "Absent", "install 3.13.1"],
    [
      "a release berth owns is never adopted again: the normal upgrade, steps from the version it runs",
      chart({ adopt: true }),
      found("deployed", { managed: true, application: "infra" }, "3.12.2"),
      "OutOfSync",
      "upgrade 3.12.2 -> 3.13.1 (steps: 3.13.1)",
    ],
    [
      "adopt: replace on a release berth owns: the normal upgrade, nothing uninstalled",
      chart({ adopt: "replace" }),
      found("deployed", { managed: true, application: "infra" }, "3.12.2"),
      "OutOfSync",
      "upgrade 3.12.2 -> 3.13.1 (steps: 3.13.1)",
    ],
  ])("%s", (_, desired, observed, state, action) => {
    const r = next(desired, observed);
    expect(r.state).toBe(state);
    expect(describeAction(r.action)).toBe(action);
  });

  it("the adopt action says what it found and why it adopts", () => {
    expect(next(chart({ adopt: "replace" }), found("deployed")).action).toEqual({
      kind: "adopt",
      mode: "replace",
      to: "3.13.1",
      reason: `${UNOWNED}; entry metrics sets adopt: replace`,
    });
  });

  it("a failed adoption waits for its backoff like any failed attempt", () => {
    const desired = chart({ adopt: true });
    const memo = { failures: 1, failedDigest: releaseDigest(desired), lastFailureAt: new Date(NOW - 1_000).toISOString(), lastError: "forbidden" };
    expect(describeAction(next(desired, found("deployed"), memo).action)).toBe("blocked: retry 2 of 5 in 9s after 1 failure; last attempt: forbidden");
    const later = { ...memo, lastFailureAt: new Date(NOW - 20_000).toISOString() };
    expect(next(desired, found("deployed"), later).action.kind).toBe("adopt");
  });
});

describe("decide: a release git suspends", () => {
  const at = "apps/infra.yaml:9:7 spec.suspended";
  it.each<[string, ObservedRelease | undefined]>([
    ["not installed: left absent", undefined],
    ["a new version in git: not upgraded", found("deployed", { managed: true }, "3.12.2")],
    ["failed: not remediated", found("failed", { managed: true }, "3.13.1")],
    ["not berth's: not adopted", found("deployed")],
  ])("%s", (_name, observed) => {
    const r = next(chart({ suspended: at, adopt: true }), observed);
    expect(r.action).toEqual({ kind: "none", reason: `stopped: suspended: true in git (${at}); berth leaves the release as it is until that is removed` });
  });

  it("is not part of the digest: lifting it changes nothing that is deployed", () => {
    expect(releaseDigest(chart({ suspended: at }))).toBe(releaseDigest(chart()));
  });
});
