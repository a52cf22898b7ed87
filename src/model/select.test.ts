import { describe, expect, it } from "vitest";
import { asksForPrerelease, clustersFor, labelsMatch, overlaysFor, pickVersion, satisfiesAll } from "./select.ts";
import type { Application, Cluster, Overlay, Placement } from "./types.ts";

const origin = { file: "x.yaml", pos: () => ({ line: 1, col: 1 }) };
const cluster = (name: string, labels: Record<string, string> = {}): Cluster => ({
  apiVersion: "berth.dev/v1alpha1",
  kind: "Cluster",
  metadata: { name, labels },
  spec: {},
  origin,
});
const app = (placement?: Placement, name = "shop"): Application => ({
  apiVersion: "berth.dev/v1alpha1",
  kind: "Application",
  metadata: { name },
  spec: { namespace: name, components: [], placement },
  origin,
});
const overlay = (name: string, spec: Partial<Overlay["spec"]>): Overlay => ({
  apiVersion: "berth.dev/v1alpha1",
  kind: "Overlay",
  metadata: { name },
  spec: { application: "shop", components: {}, ...spec },
  origin,
});

const clusters = [
  cluster("prod-hk", { env: "prod", region: "hk" }),
  cluster("dev", { env: "dev" }),
  cluster("prod-fra", { env: "prod", region: "fra" }),
];

describe("labelsMatch", () => {
  it.each([
    [{}, undefined, true],
    [{ env: "prod" }, { env: "prod", region: "hk" }, true],
    [{ env: "prod", region: "fra" }, { env: "prod", region: "hk" }, false],
    [{ env: "prod" }, undefined, false],
  ])("%j on %j -> %s", (sel, labels, want) => {
    expect(labelsMatch(sel, labels)).toBe(want);
  });
});

describe("clustersFor", () => {
  it.each<[string, Placement | undefined, string[]]>([
    ["no placement: every cluster, by name", undefined, ["dev", "prod-fra", "prod-hk"]],
    ["empty placement: every cluster", {}, ["dev", "prod-fra", "prod-hk"]],
    ["selector", { clusterSelector: { env: "prod" } }, ["prod-fra", "prod-hk"]],
    ["selector with two labels", { clusterSelector: { env: "prod", region: "hk" } }, ["prod-hk"]],
    ["names", { clusters: ["dev"] }, ["dev"]],
    ["selector or names", { clusterSelector: { region: "fra" }, clusters: ["dev"] }, ["dev", "prod-fra"]],
    ["selector matching nothing", { clusterSelector: { env: "qa" } }, []],
    ["unknown names are ignored", { clusters: ["nope"] }, []],
    ["rollout alone places everywhere", { rollout: { canary: ["dev"] } }, ["dev", "prod-fra", "prod-hk"]],
  ])("%s", (_name, placement, want) => {
    expect(clustersFor(app(placement), clusters).map((c) => c.metadata.name)).toEqual(want);
  });
});

describe("overlaysFor", () => {
  const overlays = [
    overlay("z-prod", { clusterSelector: { env: "prod" } }),
    overlay("a-prod", { clusterSelector: { env: "prod" } }),
    overlay("hk-only", { clusters: ["prod-hk"] }),
    overlay("b-hk", { clusters: ["prod-hk"] }),
    overlay("everywhere", {}),
    overlay("dev", { clusterSelector: { env: "dev" } }),
    overlay("other-app", { application: "blog", clusterSelector: { env: "prod" } }),
    overlay("both", { clusterSelector: { region: "fra" }, clusters: ["prod-hk"] }),
  ];
  it.each<[string, string[]]>([
    // selector overlays (name order), then cluster-named ones (name order)
    ["prod-hk", ["a-prod", "everywhere", "z-prod", "b-hk", "both", "hk-only"]],
    ["prod-fra", ["a-prod", "both", "everywhere", "z-prod"]],
    ["dev", ["dev", "everywhere"]],
  ])("on %s", (name, want) => {
    const c = clusters.find((x) => x.metadata.name === name) as Cluster;
    expect(overlaysFor(app(), c, overlays).map((o) => o.metadata.name)).toEqual(want);
  });
});

describe("asksForPrerelease", () => {
  it.each([
    ["^3.0.0", false],
    [">=1.0.0 <2", false],
    ["~3.1.0-rc.0", true],
    [">=2.0.0-0", true],
    ["1.2.3 - 2.0.0", false],
    ["^1.0.0 || ^2.0.0-beta.1", true],
    ["*", false],
  ])("%s -> %s", (range, want) => {
    expect(asksForPrerelease(range)).toBe(want);
  });
});

describe("pickVersion", () => {
  const versions = ["3.0.5", "3.0.6", "3.1.0-rc.1", "3.1.0", "3.2.0-rc.1", "4.0.0-beta.1", "2.9.9"];
  it.each<[string, string[], string | undefined]>([
    ["highest in one range", ["^3.0.0"], "3.1.0"],
    ["narrowed by a second range", ["^3.0.0", "~3.0.6"], "3.0.6"],
    ["no overlap", ["^3.0.0", "~4.0.0"], undefined],
    ["no ranges: highest release", [], "3.1.0"],
    ["prereleases ignored unless asked", [">=3.1.1"], undefined],
    ["a range asking for a prerelease of the same version", ["^3.2.0-rc.0"], "3.2.0-rc.1"],
    ["app range read with prereleases when an overlay asks", ["^3.0.0", ">=3.2.0-rc.0"], "3.2.0-rc.1"],
    ["asking for 3.1.0 prereleases does not admit 3.2.0 ones", ["^3.0.0", ">=3.1.0-rc.0 <3.2.0"], "3.1.0"],
    ["a release still beats its prerelease", [">=3.1.0-rc.0 <3.2.0"], "3.1.0"],
    ["prerelease major asked explicitly", ["^4.0.0-beta.0"], "4.0.0-beta.1"],
    ["^4.0.0 alone does not take 4.0.0-beta.1", ["^4.0.0"], undefined],
    ["invalid range picks nothing", ["latest"], undefined],
    ["exact version", ["2.9.9"], "2.9.9"],
  ])("%s", (_name, ranges, want) => {
    expect(pickVersion(versions, ranges)).toBe(want);
  });

  it("ignores strings that are not versions", () => {
    expect(pickVersion(["3.0", "x", "1.0.0"], ["*"])).toBe("1.0.0");
  });
  it("satisfiesAll refuses invalid versions", () => {
    expect(satisfiesAll("3.0", ["*"])).toBe(false);
  });
});
