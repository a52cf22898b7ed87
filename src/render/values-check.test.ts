import { describe, expect, it } from "vitest";
import type { AppComponentEntry, Component, Overlay, Repo } from "../model/types.ts";
import { builtins, doc } from "../../test/unit/render/fixture.ts";
import { blame, reach, valuesIssues } from "./values-check.ts";

describe("reach and blame", () => {
  const w = (name: string, at: (string | number)[], value: unknown) => ({ name, at, value });
  it.each([
    { name: "a scalar it sets", write: w("x", [], { image: { pullPolicy: "S" } }), path: ["image", "pullPolicy"], want: { depth: 2, replaces: true } },
    { name: "a sibling only", write: w("x", ["image", "repository"], "r"), path: ["image", "pullPolicy"], want: { depth: 1, replaces: false } },
    { name: "a list replaces from where it starts", write: w("x", ["ports"], [{ name: "h" }]), path: ["ports", 0, "port"], want: { depth: 1, replaces: true } },
    { name: "nothing on the path", write: w("x", ["replicas"], 3), path: ["image"], want: { depth: 0, replaces: false } },
    { name: "a mapping that lacks the key", write: w("x", [], { image: {} }), path: ["image", "tag"], want: { depth: 1, replaces: false } },
  ])("reach: $name", ({ write, path, want }) => {
    expect(reach(write, path)).toEqual(want);
  });

  it.each([
    { name: "the highest layer that set the path", writes: [w("component", ["image", "repository"], "r"), w("entry", [], { image: { pullPolicy: "A" } }), w("overlay", [], { image: { pullPolicy: "S" } })], path: ["image", "pullPolicy"], want: "overlay" },
    { name: "a lower layer that goes deeper under a merged mapping", writes: [w("component", ["image", "repository"], 5), w("overlay", [], { image: { pullPolicy: "A" } })], path: ["image", "repository"], want: "component" },
    { name: "a list above hides the lower layers' items", writes: [w("component", ["ports"], [{ name: "h", port: 0 }]), w("entry", [], { ports: [{ name: "h", port: 0 }] })], path: ["ports", 0, "port"], want: "entry" },
    { name: "a trait switched off replaces what was below", writes: [w("entry", ["traits", "ingress"], { host: 1 }), w("overlay", ["traits", "ingress"], false)], path: ["traits", "ingress", "host"], want: "overlay" },
    { name: "nobody set it", writes: [w("entry", ["replicas"], 2)], path: ["image", "tag"], want: undefined },
  ])("blame: $name", ({ writes, path, want }) => {
    expect(blame(writes, path)?.name).toBe(want);
  });
});

describe("valuesIssues", () => {
  const defs = builtins();
  const probes = { liveness: { httpGet: { path: "/l", port: "http" } }, readiness: { httpGet: { path: "/r", port: "http" } }, startup: { httpGet: { path: "/s", port: "http" } } };
  const api: Component = doc("Component", "api", { version: "1.0.0", workload: "webservice", container: { image: "r/api", ports: [{ name: "http", port: 80 }], health: probes } });
  const repo = (entry: Partial<AppComponentEntry>, patch?: Overlay["spec"]["components"][string]): Repo => ({
    root: "/repo",
    projects: [],
    charts: [],
    chartRepositories: [],
    components: [api],
    applications: [doc("Application", "app", { namespace: "app", components: [{ name: "api", component: "api", version: "^1.0.0", ...entry }], placement: { clusterSelector: { env: "prod" } } })],
    overlays: patch ? [doc("Overlay", "prod", { application: "app", clusterSelector: { env: "prod" }, components: { api: patch } })] : [],
    clusters: [doc("Cluster", "c1", {}, { env: "prod" }), doc("Cluster", "c2", {}, { env: "prod" })],
    ...defs,
  });

  it.each([
    { name: "valid values", r: repo({ values: { image: { pullPolicy: "Always" } } }), want: [] },
    { name: "an overlay fixes the entry's value", r: repo({ values: { image: { pullPolicy: "Sometimes" } } }, { values: { image: { pullPolicy: "Never" } } }), want: [] },
    {
      name: "the entry's bad value, once for both clusters",
      r: repo({ values: { image: { pullPolicy: "Sometimes" } } }),
      want: [["applications/app.yaml", "spec.components[0].values.image.pullPolicy", /must be one of "Always", "IfNotPresent", "Never", got "Sometimes" \(values.schema.json of chart webservice \S+, release app-api\)/]],
    },
    {
      name: "the overlay's bad value over the entry's good one",
      r: repo({ values: { image: { pullPolicy: "Always" } } }, { values: { image: { pullPolicy: "Sometimes" } } }),
      want: [["overlays/prod.yaml", "spec.components.api.values.image.pullPolicy", /got "Sometimes"/]],
    },
    { name: "a type the chart refuses", r: repo({}, { values: { args: "serve" } }), want: [["overlays/prod.yaml", "spec.components.api.values.args", /must be of type array, got a string "serve"/]] },
  ])("$name", ({ r, want }) => {
    const got = valuesIssues(r).map((i) => [i.file, i.path, i.message]);
    expect(got).toHaveLength(want.length);
    want.forEach(([file, path, message], n) => {
      expect(got[n]?.[0]).toBe(file);
      expect(got[n]?.[1]).toBe(path);
      expect(got[n]?.[2]).toMatch(message as RegExp);
    });
  });

  it("an external component is not checked against a chart", () => {
    expect(valuesIssues(repo({ values: { image: { pullPolicy: "Sometimes" } } }, { external: { host: "x.example.com", port: 1 } }))).toEqual([]);
  });
});
