import { describe, expect, it } from "vitest";
import type { ReleaseSpec } from "../model/types.ts";
import { describeAction } from "./action.ts";
import { releaseDigest } from "./digest.ts";
import type { HelmStatus, ObservedRelease, ObservedRevision, ReleaseMemo } from "./observed.ts";
import { planCluster, type PlanInput } from "./plan.ts";
import { pruneDecider } from "./prune.ts";
import { spec } from "./test-specs.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");

const api = (version: string, over: Partial<ReleaseSpec> = {}) =>
  spec("shop-api", {
    component: { name: "api", version },
    upgrades: [
      { from: ">=1.0.0 <1.1.0", to: "1.1.0", run: { image: "m", args: ["up"] }, rollback: { image: "m", args: ["down"] } },
    ],
    ...over,
  });

const rev = (revision: number, status: HelmStatus, version: string, digest = `d${revision}`): ObservedRevision => ({
  revision,
  status,
  version,
  digest,
});

const obs = (revisions: ObservedRevision[], over: Partial<ObservedRelease> = {}): ObservedRelease => ({
  name: "shop-api",
  namespace: "shop",
  managed: true,
  application: "shop",
  prune: false,
  revisions,
  ...over,
});

function plan(desired: ReleaseSpec[], observed: ObservedRelease[], over: Partial<PlanInput> = {}, memo?: Partial<ReleaseMemo>) {
  return planCluster({
    cluster: "east",
    paused: false,
    desired,
    observed,
    memos: new Map(memo ? [["shop/shop-api", { failures: 0, steps: [], ...memo }]] : []),
    // no application declared, no record: each orphan's own label decides
    prune: pruneDecider({ declared: new Map(), recorded: new Map() }),
    allowEmpty: false,
    now: NOW,
    ...over,
  });
}

const only = (p: ReturnType<typeof plan>) => {
  expect(p.releases).toHaveLength(1);
  return p.releases[0]!;
};

describe("planCluster: one release", () => {
  const inSync = api("1.0.0");
  const d = releaseDigest(inSync);

  it.each<[string, ReleaseSpec[], ObservedRelease[], string, string]>([
    ["absent -> install", [api("1.0.0")], [], "Absent", "install 1.0.0"],
    ["uninstalled -> install", [api("1.0.0")], [obs([rev(1, "uninstalled", "1.0.0")])], "Absent", "install 1.0.0"],
    ["same digest -> none", [inSync], [obs([rev(1, "deployed", "1.0.0", d)])], "InSync", "none: revision 1 matches git"],
    [
      "higher version -> upgrade with the step",
      [api("1.1.0")],
      [obs([rev(1, "deployed", "1.0.0")])],
      "OutOfSync",
      "upgrade 1.0.0 -> 1.1.0 (steps: 1.1.0)",
    ],
    ["same version, new values -> upgrade, no step", [api("1.0.0")], [obs([rev(1, "deployed", "1.0.0")])], "OutOfSync", "upgrade 1.0.0 -> 1.0.0"],
    [
      "lower version with history -> rollback with the crossed rollback step",
      [api("1.0.0")],
      [obs([rev(1, "superseded", "1.0.0"), rev(2, "deployed", "1.1.0")])],
      "OutOfSync",
      "rollback 1.1.0 -> 1.0.0 (revision 1; rollback steps: 1.1.0)",
    ],
    [
      "lower version without history -> blocked",
      [api("1.0.0")],
      [obs([rev(1, "deployed", "1.1.0")])],
      "OutOfSync",
      "blocked: cannot go down from 1.1.0 to 1.0.0: no revision in the release history ran 1.0.0 (history has 1.1.0)",
    ],
    ["pending-upgrade -> unlock", [api("1.1.0")], [obs([rev(1, "deployed", "1.0.0"), rev(2, "pending-upgrade", "1.1.0")])], "Locked", "unlock a release left pending-upgrade"],
    ["failed upgrade -> remediate to last good", [api("1.1.0")], [obs([rev(1, "deployed", "1.0.0"), rev(2, "failed", "1.1.0")])], "Failed", "remediate: roll back to revision 1"],
    ["failed first install -> uninstall", [api("1.0.0")], [obs([rev(1, "failed", "1.0.0")])], "Failed", "remediate: uninstall the failed first install"],
    [
      "not owned -> blocked",
      [api("1.0.0")],
      [obs([rev(1, "deployed", "1.0.0")], { managed: false })],
      "Unmanaged",
      "blocked: release shop-api in shop exists (revision 1, deployed) but berth does not own it; berth never touches a release it does not own: to take it over, set `adopt: true` on entry api of Application shop (berth labels it, then upgrades it), or `adopt: replace` (berth keeps its manifest and values, uninstalls it and installs fresh)",
    ],
    [
      "upgrade without a declared path -> blocked",
      [api("1.1.0", { upgrades: [{ from: ">=1.0.5 <1.1.0", to: "1.1.0", run: { image: "m" } }] })],
      [obs([rev(1, "deployed", "1.0.0")])],
      "OutOfSync",
      'blocked: no upgrade path from 1.0.0 to 1.1.0: the step to 1.1.0 accepts ">=1.0.5 <1.1.0", but the version reached is 1.0.0; widen its from to include 1.0.0, or declare a step to 1.1.0 from 1.0.0',
    ],
  ])("%s", (_, desired, observed, state, action) => {
    const r = only(plan(desired, observed));
    expect(r.state.name).toBe(state);
    expect(describeAction(r.action)).toBe(action);
  });

  it("blocks every change on a paused cluster but still plans it", () => {
    const r = only(plan([api("1.1.0")], [obs([rev(1, "deployed", "1.0.0")])], { paused: true }));
    expect(describeAction(r.action)).toBe("blocked: cluster east is paused; would upgrade");
  });

  it("waits for the backoff after a failure of the same digest, then retries", () => {
    const want = api("1.1.0");
    const memo = { failures: 2, failedDigest: releaseDigest(want), lastFailureAt: new Date(NOW - 5_000).toISOString() };
    const waiting = only(plan([want], [obs([rev(1, "deployed", "1.0.0")])], {}, memo));
    expect(describeAction(waiting.action)).toBe("blocked: retry 3 of 5 in 15s after 2 failures");
    const later = only(plan([want], [obs([rev(1, "deployed", "1.0.0")])], { now: NOW + 16_000 }, memo));
    expect(later.action.kind).toBe("upgrade");
  });

  it("says why the last attempt failed while it waits, and once it gave up", () => {
    const want = api("1.1.0");
    const lastError = "refused before install: the rendered chart leaves Project shop-team: ClusterRoleBinding x is cluster-scoped";
    const memo = { failures: 1, failedDigest: releaseDigest(want), lastFailureAt: new Date(NOW - 5_000).toISOString(), lastError };
    const waiting = only(plan([want], [obs([rev(1, "deployed", "1.0.0")])], {}, memo));
    expect(describeAction(waiting.action)).toBe(`blocked: retry 2 of 5 in 5s after 1 failure; last attempt: ${lastError}`);
    const gaveUp = only(plan([want], [obs([rev(1, "deployed", "1.0.0")])], {}, { ...memo, failures: 5 }));
    expect(describeAction(gaveUp.action)).toMatch(/gave up after 5 failed attempts at this revision; push a fix or run `berth resume`; last attempt: refused before install/);
  });

  it("gives up at the retry limit, and a new digest starts afresh", () => {
    const memo = { failures: 5, failedDigest: releaseDigest(api("1.1.0")), lastFailureAt: new Date(NOW - 3_600_000).toISOString() };
    const r = only(plan([api("1.1.0")], [obs([rev(1, "deployed", "1.0.0")])], {}, memo));
    expect(r.action.kind).toBe("blocked");
    const fixed = api("1.1.0", { values: { replicas: 2 } });
    expect(only(plan([fixed], [obs([rev(1, "deployed", "1.0.0")])], {}, memo)).action.kind).toBe("upgrade");
  });

  it("keeps a suspended release until git changes it", () => {
    const want = api("1.1.0");
    const memo = { suspendedDigest: releaseDigest(want) };
    expect(only(plan([want], [obs([rev(1, "deployed", "1.0.0")])], {}, memo)).action.kind).toBe("blocked");
    const changed = api("1.1.0", { values: { replicas: 3 } });
    expect(only(plan([changed], [obs([rev(1, "deployed", "1.0.0")])], {}, memo)).action.kind).toBe("upgrade");
  });
});

describe("planCluster: orphans and prune", () => {
  const orphan = (prune: boolean) => obs([rev(1, "deployed", "1.0.0")], { name: "old-web", namespace: "old", prune });

  it.each<[string, ReleaseSpec[], boolean, boolean, string]>([
    ["kept when prune is off", [api("1.0.0")], false, false, "none: no longer declared in git; kept (prune is off)"],
    ["uninstalled when its application prunes", [api("1.0.0")], true, false, "uninstall: no longer declared in git and its application prunes"],
    [
      "never when the revision places nothing on the cluster",
      [],
      true,
      false,
      "blocked: this revision places no release at all on cluster east; nothing is pruned unless the Cluster sets allowEmpty: true",
    ],
    ["an empty target when the repository allows it", [], true, true, "uninstall: no longer declared in git and its application prunes"],
  ])("%s", (_, desired, prune, allowEmpty, action) => {
    // application shop is in the revision, with this prune setting (its label says the same)
    const declared = new Map([["shop", { prune, namespace: "shop" }]]);
    const p = plan(desired, [orphan(prune)], { allowEmpty, prune: pruneDecider({ declared, recorded: new Map() }) });
    const r = p.releases.find((x) => x.name === "old-web")!;
    expect(describeAction(r.action)).toBe(action);
  });

  it("does not touch an orphan it does not own", () => {
    const p = plan([], [obs([rev(1, "deployed", "1.0.0")], { name: "foreign", managed: false, prune: true })]);
    expect(p.releases).toHaveLength(0);
  });
});

describe("planCluster: dependencies", () => {
  it("orders dependencies first and blocks dependents of a blocked release", () => {
    const p = plan(
      [
        spec("shop-web", { dependsOn: ["shop-api"] }),
        api("1.0.0", { requires: [{ component: "redis", range: ">=7" }] }),
      ],
      [],
    );
    expect(p.releases.map((r) => [r.name, describeAction(r.action)])).toEqual([
      ["shop-api", 'blocked: requires redis ">=7" on cluster east; no release of it is placed there'],
      ["shop-web", "blocked: needs shop-api, which is blocked"],
    ]);
  });

  it("lets a release that needs nothing act while another is blocked", () => {
    const p = plan([api("1.0.0", { requires: [{ component: "redis", range: ">=7" }] }), spec("blog-web")], []);
    expect(p.releases.find((r) => r.name === "blog-web")?.action.kind).toBe("install");
  });
});
