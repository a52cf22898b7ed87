import { describe, expect, it } from "vitest";
import type { ReleaseSpec } from "../model/types.ts";
import { describeAction } from "./action.ts";
import type { HelmStatus, ObservedRelease } from "./observed.ts";
import { planCluster, replanRelease } from "./plan.ts";
import { newestRecords, pruneDecider, recordWrites, type AppDeclaration, type AppRecord } from "./prune.ts";
import { spec } from "./test-specs.ts";

const NOW = Date.parse("2026-11-23T12:00:00Z");

/** A release of application `pr` that berth applied with this prune label. */
const rel = (name: string, label: boolean, over: Partial<ObservedRelease> = {}, status: HelmStatus = "deployed"): ObservedRelease => ({
  name,
  namespace: "rt",
  managed: true,
  application: "pr",
  prune: label,
  revisions: [{ revision: 1, status, version: "1.0.0", digest: "d1" }],
  ...over,
});
const declared = (prune?: boolean, namespace = "rt"): Map<string, AppDeclaration> => new Map(prune === undefined ? [] : [["pr", { prune, namespace }]]);
const record = (prune: boolean, over: Partial<AppRecord> = {}): AppRecord => ({ application: "pr", namespace: "rt", prune, ...over });
const recorded = (prune?: boolean): Map<string, AppRecord> => new Map(prune === undefined ? [] : [["pr", record(prune)]]);
// Another application keeps the cluster non-empty, so the empty-revision guard stays out of the way.
const keeper = spec("other-web", { namespace: "other" });

describe("orphans: which setting decides", () => {
  // [case, the revision's prune (undefined: application removed from git), the cluster's record, the release's label, the orphan's action]
  it.each<[string, boolean | undefined, boolean | undefined, boolean, string]>([
    ["(a) installed under prune: true, the revision says false -> kept", false, undefined, true, "none: no longer declared in git; kept (prune is off)"],
    ["(b) installed under prune: false, the revision says true -> uninstalled", true, undefined, false, "uninstall: no longer declared in git and its application prunes"],
    ["the revision outranks a record that disagrees", false, true, true, "none: no longer declared in git; kept (prune is off)"],
    [
      "(c) removed from git; the last revision that declared it said true (recorded), the label false -> uninstalled",
      undefined,
      true,
      false,
      "uninstall: application pr is no longer in git, and the last revision that declared it set prune: true",
    ],
    [
      "removed from git; recorded false, the label true -> kept",
      undefined,
      false,
      true,
      "none: application pr is no longer in git; kept (the last revision that declared it set prune: false)",
    ],
    [
      "removed from git, no record: the label decides (true)",
      undefined,
      undefined,
      true,
      "uninstall: no longer declared in git, and application pr pruned when this release was last applied",
    ],
    [
      "removed from git, no record: the label decides (false)",
      undefined,
      undefined,
      false,
      "none: no longer declared in git; kept (application pr did not prune when this release was last applied)",
    ],
  ])("%s", (_n, revision, rec, label, want) => {
    const p = planCluster({
      cluster: "east",
      paused: false,
      desired: [keeper],
      observed: [rel("pr-b", label)],
      memos: new Map(),
      prune: pruneDecider({ declared: declared(revision), recorded: recorded(rec) }),
      allowEmpty: false,
      now: NOW,
    });
    const orphan = p.releases.find((r) => r.name === "pr-b")!;
    expect(describeAction(orphan.action)).toBe(want);
  });

  it("a revision that places nothing on the cluster prunes nothing, whatever the record says, unless allowEmpty", () => {
    const input = {
      cluster: "east",
      paused: false,
      desired: [] as ReleaseSpec[],
      observed: [rel("pr-a", false)],
      memos: new Map(),
      prune: pruneDecider({ declared: declared(), recorded: recorded(true) }),
      now: NOW,
    };
    expect(planCluster({ ...input, allowEmpty: false }).releases[0]!.action.kind).toBe("blocked");
    expect(planCluster({ ...input, allowEmpty: true }).releases[0]!.action.kind).toBe("uninstall");
  });

  it("a release without an application label follows its label", () => {
    const d = pruneDecider({ declared: declared(false), recorded: recorded(false) });
    const { application: _a, ...bare } = rel("x", true);
    expect(d(bare)).toEqual({ prune: true, source: "label" });
  });

  it("after the uninstall, a replan finds nothing left to do (not a second uninstall)", () => {
    const p = planCluster({
      cluster: "east",
      paused: false,
      desired: [keeper],
      observed: [rel("pr-b", false)],
      memos: new Map(),
      prune: pruneDecider({ declared: declared(), recorded: recorded(true) }),
      allowEmpty: false,
      now: NOW,
    });
    const orphan = p.releases.find((r) => r.name === "pr-b")!;
    expect(orphan.action.kind).toBe("uninstall");
    expect(replanRelease(orphan, { observed: undefined, memo: { failures: 0, steps: [] }, now: NOW }).action.kind).toBe("none");
    const stillThere = replanRelease(orphan, { observed: rel("pr-b", false), memo: { failures: 0, steps: [] }, now: NOW });
    expect(stillThere.action.kind).toBe("uninstall"); // the record's decision is kept, not the label's
  });
});

describe("recordWrites", () => {
  // [case, the revision's prune, the cluster's record, the releases found, the writes]
  it.each<[string, boolean, AppRecord | undefined, ObservedRelease[], Array<[string, boolean]>]>([
    ["no record, every label agrees: nothing (a pass that changes nothing writes nothing)", true, undefined, [rel("pr-a", true), rel("pr-b", true)], []],
    ["no record, no release yet: nothing (what gets installed is labelled with the revision's value)", true, undefined, [], []],
    ["no record, a label disagrees: written beside the releases", false, undefined, [rel("pr-a", false), rel("pr-b", true)], [["rt", false]]],
    ["(c) prune switched on with no release change: written", true, undefined, [rel("pr-a", false)], [["rt", true]]],
    ["a record that agrees: nothing, whatever the labels", true, record(true), [rel("pr-a", false)], []],
    ["a record that disagrees: rewritten where it is", false, record(true, { namespace: "old" }), [], [["old", false]]],
    ["an uninstalled release does not count", false, undefined, [rel("pr-a", true, {}, "uninstalled")], []],
    ["a release berth does not own does not count", false, undefined, [rel("pr-a", true, { managed: false })], []],
    ["another application's releases do not count", false, undefined, [rel("x-a", true, { application: "x" })], []],
    [
      "releases in two namespaces: the record goes to the application's namespace",
      false,
      undefined,
      [rel("pr-a", true, { namespace: "aa" }), rel("pr-b", true)],
      [["rt", false]],
    ],
    ["releases only in a namespace the application left: the record goes there (it exists)", false, undefined, [rel("pr-a", true, { namespace: "old" })], [["old", false]]],
  ])("%s", (_n, prune, rec, observed, want) => {
    const writes = recordWrites({ declared: declared(prune), recorded: new Map(rec ? [["pr", rec]] : []), observed });
    expect(writes).toEqual(want.map(([namespace, p]) => ({ application: "pr", namespace, prune: p })));
  });

  it("writes nothing for an application that is no longer in git", () => {
    expect(recordWrites({ declared: new Map(), recorded: recorded(true), observed: [rel("pr-a", false)] })).toEqual([]);
  });
});

describe("newestRecords", () => {
  it("keeps one record per application, the newest", () => {
    const m = newestRecords([
      record(true, { namespace: "a", writtenAt: "2026-01-01T00:00:00Z" }),
      record(false, { namespace: "b", writtenAt: "2026-02-01T00:00:00Z" }),
      { application: "x", namespace: "x", prune: true },
    ]);
    expect([...m.values()].map((r) => [r.application, r.namespace, r.prune])).toEqual([
      ["pr", "b", false],
      ["x", "x", true],
    ]);
  });
});
