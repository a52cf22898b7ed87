import { describe, expect, it } from "vitest";
import type { AppComponentEntry, Component, Overlay, Repo, WorkloadDefinition } from "../model/types.ts";
import { builtins, doc } from "../../test/unit/render/fixture.ts";
import { explainRelease, type ReleaseExplanation } from "./explain.ts";

type Patch = Overlay["spec"]["components"][string];

describe("explainRelease: who set each value, over the four layers", () => {
  const defs = builtins();
  const probes = { liveness: { httpGet: { path: "/l", port: "http" } }, readiness: { httpGet: { path: "/r", port: "http" } }, startup: { httpGet: { path: "/s", port: "http" } } };
  const api = (version: string, env: Record<string, string> = { LOG: "info" }): Component =>
    doc("Component", "api", { version, workload: "webservice", container: { image: "r/api", env, ports: [{ name: "http", port: 80 }], health: probes } });
  // the webservice workload with a platform default for an env var and replicas
  const workloads: WorkloadDefinition[] = defs.workloads.map((w) =>
    w.metadata.name === "webservice" ? { ...w, spec: { ...w.spec, defaults: { ...w.spec.defaults, replicas: 3, env: { REGION: "eu" } } } } : w,
  );
  const repo = (entry: Partial<AppComponentEntry>, overlays: [string, Patch][] = [], components = [api("1.0.0"), api("1.1.0"), api("2.0.0-rc.1")]): Repo => ({
    root: "/repo",
    projects: [],
    charts: [],
    chartRepositories: [],
    components,
    applications: [doc("Application", "app", { namespace: "app", components: [{ name: "api", component: "api", version: "^1.0.0", ...entry }], placement: { clusters: ["c1"] } })],
    overlays: overlays.map(([name, patch]) => doc("Overlay", name, { application: "app", clusters: ["c1"], components: { api: patch } })),
    clusters: [doc("Cluster", "c1", {}, { env: "prod" })],
    workloads,
    traits: defs.traits,
  });
  const explain = (r: Repo): ReleaseExplanation => {
    const e = explainRelease(r, { cluster: "c1", release: "app-api" });
    if (!e) throw new Error("no release");
    return e;
  };
  const at = (e: ReleaseExplanation, path: string) => {
    const v = e.values.find((x) => x.path === path);
    if (!v) throw new Error(`no value ${path} in ${e.values.map((x) => x.path).join(", ")}`);
    return { value: v.value, by: `${v.source.kind} ${v.source.name}`, field: v.source.field, overrode: v.overrode.map((o) => `${o.kind} ${o.name}=${JSON.stringify(o.value)}`) };
  };

  it.each([
    { name: "a WorkloadDefinition default", r: repo({}), path: "env.REGION", want: { value: "eu", by: "WorkloadDefinition webservice", field: "spec.defaults.env.REGION", overrode: [] } },
    { name: "the Component over nothing", r: repo({}), path: "env.LOG", want: { value: "info", by: "Component api@1.1.0", field: "spec.container.env.LOG", overrode: [] } },
    { name: "the Component's version as the image tag", r: repo({}), path: "image.tag", want: { value: "1.1.0", by: "Component api@1.1.0", field: "spec.version", overrode: [] } },
    {
      name: "the Application entry over the workload default",
      r: repo({ replicas: 2 }),
      path: "replicas",
      want: { value: 2, by: "Application app", field: "spec.components[0].replicas", overrode: ["WorkloadDefinition webservice=3"] },
    },
    {
      name: "an Overlay over the entry over the Component",
      r: repo({ values: { env: { LOG: "warn" } } }, [["prod", { values: { env: { LOG: "debug" } } }]]),
      path: "env.LOG",
      want: { value: "debug", by: "Overlay prod", field: "spec.components.api.values.env.LOG", overrode: ['Application app="warn"', 'Component api@1.1.0="info"'] },
    },
    {
      name: "a later Overlay (by name) over an earlier one",
      r: repo({}, [["a-first", { replicas: 4 }], ["b-second", { replicas: 5 }]]),
      path: "replicas",
      want: { value: 5, by: "Overlay b-second", field: "spec.components.api.replicas", overrode: ["Overlay a-first=4", "WorkloadDefinition webservice=3"] },
    },
    {
      name: "a trait switched on by the entry",
      r: repo({ traits: { ingress: { host: "a.example.com" } } }),
      path: "traits.ingress.host",
      want: { value: "a.example.com", by: "Application app", field: "spec.components[0].traits.ingress.host", overrode: [] },
    },
    {
      name: "a trait switched off by an overlay",
      r: repo({ traits: { ingress: { host: "a.example.com" } } }, [["prod", { traits: { ingress: false } }]]),
      path: "traits.ingress.enabled",
      want: { value: false, by: "Overlay prod", field: "spec.components.api.traits.ingress", overrode: ["Application app=true"] },
    },
    {
      name: "a trait's schema default",
      r: repo({ traits: { ingress: { host: "a.example.com" } } }),
      path: "traits.ingress.pathType",
      want: { value: "Prefix", by: "TraitDefinition ingress", field: "spec.schema.properties.pathType.default", overrode: [] },
    },
    {
      name: "a trait on by default (defaultOn: 2+ replicas)",
      r: repo({}),
      path: "traits.disruptionBudget.enabled",
      want: { value: true, by: "TraitDefinition disruptionBudget", field: "spec.defaultOn", overrode: [] },
    },
    {
      name: "a list replaces: the overlay's list, over the Component's",
      r: repo({}, [["prod", { values: { ports: [{ name: "http", port: 8080 }] } }]]),
      path: "ports",
      want: { value: [{ name: "http", port: 8080 }], by: "Overlay prod", field: "spec.components.api.values.ports", overrode: ['Component api@1.1.0=[{"name":"http","port":80}]'] },
    },
    {
      name: "a list trait given as one object",
      r: repo({ traits: { sidecar: { name: "m", image: "r/m" } } }),
      path: "traits.sidecar.items",
      want: { value: [{ name: "m", image: "r/m" }], by: "Application app", field: "spec.components[0].traits.sidecar", overrode: [] },
    },
    { name: "the release's identity", r: repo({}), path: "cluster.name", want: { value: "c1", by: "berth the release's identity (cluster, application, component)", field: undefined, overrode: [] } },
    { name: "the chart's own layout", r: repo({}), path: "tmpDir.mountPath", want: { value: "/tmp", by: expect.stringMatching(/^berth the default values of chart webservice /), field: undefined, overrode: [] } },
  ])("$name", ({ r, path, want }) => {
    expect(at(explain(r), path)).toEqual(want);
  });

  it("every leaf of the values is explained, each once", () => {
    const e = explain(repo({ replicas: 2, traits: { ingress: { host: "a" } } }, [["prod", { values: { env: { X: "1" } } }]]));
    const paths = e.values.map((v) => v.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths).toEqual(expect.arrayContaining(["replicas", "env.X", "env.LOG", "env.REGION", "image.repository", "traits.ingress.host"]));
  });

  it.each([
    { name: "the entry's range alone", entry: "^1.0.0", overlays: [] as [string, Patch][], want: { picked: "1.1.0", effects: ["none"] } },
    { name: "an overlay narrows the pick", entry: "^1.0.0", overlays: [["prod", { version: "~1.0.0" }]] as [string, Patch][], want: { picked: "1.0.0", effects: ["none", "narrowed"] } },
    { name: "an overlay lets a prerelease in", entry: ">=1.0.0", overlays: [["prod", { version: ">=2.0.0-rc.0" }]] as [string, Patch][], want: { picked: "2.0.0-rc.1", effects: ["none", "widened"] } },
  ])("version: $name", ({ entry, overlays, want }) => {
    const v = explain(repo({ version: entry }, overlays)).version;
    expect(v.picked).toBe(want.picked);
    expect(v.available).toEqual(["1.0.0", "1.1.0", "2.0.0-rc.1"]);
    expect(v.ranges.map((r) => r.effect)).toEqual(want.effects);
    expect(v.ranges[0]!.source).toMatchObject({ kind: "Application", name: "app", field: "spec.components[0].version" });
  });

  it("is undefined for a release the cluster does not run; application/entry names it too", () => {
    expect(explainRelease(repo({}), { cluster: "c1", release: "app-web" })).toBeUndefined();
    expect(explainRelease(repo({}), { cluster: "c2", release: "app-api" })).toBeUndefined();
    expect(explainRelease(repo({}), { cluster: "c1", release: "app/api" })?.release).toBe("app-api");
  });

  it("leaves the release itself as resolve makes it (nothing of the explanation in the values)", () => {
    const e = explain(repo({ replicas: 2 }));
    expect(JSON.stringify(e.values.map((v) => v.value))).not.toContain(".yaml");
  });
});
