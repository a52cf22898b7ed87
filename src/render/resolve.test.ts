import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import type {
  AppComponentEntry,
  Application,
  Cluster,
  Component,
  ComponentSpec,
  Overlay,
  OverlaySpec,
  Project,
  ProjectSpec,
  Repo,
} from "../model/types.ts";
import { releaseDigest } from "../plan/digest.ts";
import { builtins, doc } from "../../test/unit/render/fixture.ts";
import { outputFiles, releaseMeta } from "./output.ts";
import { resolveReleases } from "./resolve.ts";

const defs = builtins();
const probes = {
  liveness: { httpGet: { path: "/l", port: "http" } },
  readiness: { httpGet: { path: "/r", port: "http" } },
  startup: { httpGet: { path: "/s", port: "http" } },
};

function component(name: string, version: string, extra: Partial<ComponentSpec> = {}): Component {
  return doc("Component", name, {
    version,
    workload: "webservice",
    container: { image: `registry.example.com/${name}`, ports: [{ name: "http", port: 80 }], health: probes },
    ...extra,
  });
}

function repo(o: {
  components: Component[];
  entries: AppComponentEntry[];
  overlays?: { name: string; spec: Omit<OverlaySpec, "application"> }[];
  clusters?: Cluster[];
  projects?: Project[];
  project?: string;
}): Repo {
  const app: Application = doc("Application", "app", { namespace: "app", components: o.entries, ...(o.project ? { project: o.project } : {}) });
  const overlays: Overlay[] = (o.overlays ?? []).map((x) => doc("Overlay", x.name, { application: "app", ...x.spec }));
  return {
    root: "/repo",
    projects: o.projects ?? [],
    charts: [],
    chartRepositories: [],
    components: o.components,
    applications: [app],
    overlays,
    clusters: o.clusters ?? [doc("Cluster", "c1", {}, { env: "prod" })],
    ...defs,
  };
}

const only = (r: Repo) => {
  const rs = resolveReleases(r);
  expect(rs).toHaveLength(1);
  return rs[0]!;
};

describe("resolveReleases: version picking", () => {
  it.each([
    { name: "highest in range", versions: ["1.0.0", "1.2.0", "2.0.0"], range: "^1.0.0", narrow: [], want: "1.2.0" },
    { name: "overlay narrows", versions: ["1.0.0", "1.2.0", "1.3.1"], range: "^1.0.0", narrow: ["~1.2.0"], want: "1.2.0" },
    { name: "every overlay narrows", versions: ["1.1.0", "1.2.0", "1.3.0"], range: "^1.0.0", narrow: [">=1.1.0", "<1.3.0"], want: "1.2.0" },
    { name: "prerelease skipped unless asked", versions: ["1.0.0", "1.1.0-rc.1"], range: "^1.0.0", narrow: [], want: "1.0.0" },
    { name: "prerelease when a range asks", versions: ["1.0.0", "1.1.0-rc.1"], range: "^1.0.0", narrow: [">=1.1.0-rc.0"], want: "1.1.0-rc.1" },
  ])("$name", ({ versions, range, narrow, want }) => {
    const r = repo({
      components: versions.map((v) => component("api", v)),
      entries: [{ name: "api", component: "api", version: range }],
      overlays: narrow.map((v, i) => ({ name: `o${i}`, spec: { clusters: ["c1"], components: { api: { version: v } } } })),
    });
    const rel = only(r);
    expect(rel.component.version).toBe(want);
    expect((rel.values.image as { tag: string }).tag).toBe(want);
  });

  it("reports an unmatched range with file, field and the versions available", () => {
    const r = repo({ components: [component("api", "1.0.0")], entries: [{ name: "api", component: "api", version: "^2.0.0" }] });
    expect(() => resolveReleases(r)).toThrow(ValidationError);
    try {
      resolveReleases(r);
    } catch (e) {
      const i = (e as ValidationError).issues[0]!;
      expect(i.file).toBe("applications/app.yaml");
      expect(i.path).toBe("spec.components[0].version");
      expect(i.message).toContain("available: 1.0.0");
    }
  });
});

describe("resolveReleases: values precedence", () => {
  const api = component("api", "1.0.0", {
    container: {
      image: "registry.example.com/api",
      env: { A: "component", B: "component" },
      ports: [{ name: "http", port: 80 }],
      health: probes,
    },
    config: { schema: { type: "object", properties: { x: { type: "integer", default: 1 }, y: { type: "string", default: "d" } } } },
  });
  const base = {
    components: [api],
    clusters: [doc("Cluster", "c1", {}, { env: "prod" })],
  };
  it.each([
    {
      name: "workload defaults when nobody says",
      entry: {},
      overlays: [],
      check: (v: Record<string, unknown>) => expect(v.replicas).toBe(1),
    },
    {
      name: "entry over defaults",
      entry: { replicas: 2 },
      overlays: [],
      check: (v: Record<string, unknown>) => expect(v.replicas).toBe(2),
    },
    {
      name: "selector overlay over entry, named overlay over selector overlay",
      entry: { replicas: 2 },
      overlays: [
        { name: "z-named", spec: { clusters: ["c1"], components: { api: { replicas: 5 } } } },
        { name: "a-sel", spec: { clusterSelector: { env: "prod" }, components: { api: { replicas: 3 } } } },
      ],
      check: (v: Record<string, unknown>) => expect(v.replicas).toBe(5),
    },
    {
      name: "selector overlays in name order",
      entry: {},
      overlays: [
        { name: "b", spec: { clusterSelector: { env: "prod" }, components: { api: { replicas: 7 } } } },
        { name: "a", spec: { clusterSelector: { env: "prod" }, components: { api: { replicas: 6 } } } },
      ],
      check: (v: Record<string, unknown>) => expect(v.replicas).toBe(7),
    },
    {
      name: "config: schema defaults < entry < overlay, deep merged",
      entry: { config: { x: 2 } },
      overlays: [{ name: "o", spec: { clusters: ["c1"], components: { api: { config: { y: "o" } } } } }],
      check: (v: Record<string, unknown>) => expect((v.config as { data: unknown }).data).toEqual({ x: 2, y: "o" }),
    },
    {
      name: "raw values merge maps with the component's",
      entry: { values: { env: { B: "entry" } } },
      overlays: [],
      check: (v: Record<string, unknown>) => expect(v.env).toEqual({ A: "component", B: "entry" }),
    },
    {
      name: "arrays replace",
      entry: { values: { ports: [{ name: "web", port: 81 }] } },
      overlays: [],
      check: (v: Record<string, unknown>) => expect(v.ports).toEqual([{ name: "web", port: 81 }]),
    },
    {
      name: "overlay for another cluster does not apply",
      entry: { replicas: 2 },
      overlays: [{ name: "o", spec: { clusters: ["other"], components: { api: { replicas: 9 } } } }],
      check: (v: Record<string, unknown>) => expect(v.replicas).toBe(2),
    },
  ])("$name", ({ entry, overlays, check }) => {
    const r = repo({ ...base, entries: [{ name: "api", component: "api", version: "^1.0.0", ...entry }], overlays });
    check(only(r).values);
  });
});

describe("resolveReleases: traits", () => {
  const api = component("api", "1.0.0");
  const traitsOf = (entryTraits: Record<string, unknown>, overlayTraits?: Record<string, unknown>) =>
    only(
      repo({
        components: [api],
        entries: [{ name: "api", component: "api", version: "1.0.0", traits: entryTraits }],
        overlays: overlayTraits ? [{ name: "o", spec: { clusters: ["c1"], components: { api: { traits: overlayTraits } } } }] : [],
      }),
    ).values.traits as Record<string, Record<string, unknown>>;

  it.each([
    { name: "every applicable trait present and off", entry: {}, over: undefined, trait: "sidecar", want: { enabled: false } },
    { name: "object trait on, schema defaults filled", entry: { autoscaler: { max: 5 } }, over: undefined, trait: "autoscaler", want: { enabled: true, max: 5, min: 1, cpuPercent: 80 } },
    { name: "overlay merges into the trait", entry: { autoscaler: { min: 2, max: 5 } }, over: { autoscaler: { max: 9 } }, trait: "autoscaler", want: { enabled: true, min: 2, max: 9, cpuPercent: 80 } },
    { name: "false switches a trait off", entry: { autoscaler: { min: 2, max: 5 } }, over: { autoscaler: false }, trait: "autoscaler", want: { enabled: false } },
    { name: "list trait stored under items", entry: { envs: [{ name: "A", value: "1" }] }, over: undefined, trait: "envs", want: { enabled: true, items: [{ name: "A", value: "1" }] } },
    { name: "list trait replaced by an overlay", entry: { envs: [{ name: "A", value: "1" }] }, over: { envs: [{ name: "B", value: "2" }] }, trait: "envs", want: { enabled: true, items: [{ name: "B", value: "2" }] } },
    { name: "list trait given one object: a list of one", entry: { sidecar: { name: "metrics", image: "m:1" } }, over: undefined, trait: "sidecar", want: { enabled: true, items: [{ name: "metrics", image: "m:1" }] } },
    { name: "one object replaces the list, as a list does", entry: { envs: [{ name: "A", value: "1" }, { name: "B", value: "2" }] }, over: { envs: { name: "C", value: "3" } }, trait: "envs", want: { enabled: true, items: [{ name: "C", value: "3" }] } },
    { name: "a list replaces one object", entry: { init: { name: "a", image: "a:1" } }, over: { init: [{ name: "b", image: "b:1" }] }, trait: "init", want: { enabled: true, items: [{ name: "b", image: "b:1" }] } },
  ])("$name", ({ entry, over, trait, want }) => {
    expect(traitsOf(entry, over)[trait]).toEqual(want);
  });

  it("refuses a trait that does not apply to the workload", () => {
    const task = doc("Component", "job", { version: "1.0.0", workload: "task", container: { image: "x" } });
    const r = repo({ components: [task], entries: [{ name: "job", component: "job", version: "1.0.0", traits: { ingress: { host: "a.b" } } }] });
    expect(() => resolveReleases(r)).toThrow(/trait "ingress".*does not apply to workload task/);
  });
});

describe("resolveReleases: release shape", () => {
  it("external replaces the component by the external chart", () => {
    const r = repo({
      components: [component("redis", "7.2.0")],
      entries: [{ name: "redis", component: "redis", version: "~7.2.0" }],
      overlays: [{ name: "o", spec: { clusters: ["c1"], components: { redis: { external: { host: "redis.example.net", port: 6379 } } } } }],
    });
    const rel = only(r);
    expect(rel.workloadKind).toBe("External");
    expect(rel.chart).toEqual({ name: "external", version: "1.0.0" });
    expect(rel.external).toEqual({ host: "redis.example.net", port: 6379 });
    expect(rel.values.external).toEqual({ host: "redis.example.net", port: 6379 });
  });

  it("names, dependsOn and requires", () => {
    const r = repo({
      components: [component("db", "1.0.0"), component("api", "1.0.0", { requires: { db: "^1.0.0", cache: ">=2" } })],
      entries: [
        { name: "db", component: "db", version: "1.0.0" },
        { name: "api", component: "api", version: "1.0.0", dependsOn: ["db"] },
      ],
    });
    const api = resolveReleases(r).find((x) => x.entry === "api")!;
    expect(api.name).toBe("app-api");
    expect(api.namespace).toBe("app");
    expect(api.dependsOn).toEqual(["app-db"]);
    expect(api.requires).toEqual([{ component: "cache", range: ">=2" }, { component: "db", range: "^1.0.0" }]);
  });

  it("upgrades: every step declared up to the picked version, sorted by `to`", () => {
    const step = (from: string, to: string) => ({ from, to, run: { image: "m", args: [to] } });
    const r = repo({
      components: [
        component("api", "1.1.0", { upgrades: [step(">=1.0.0 <1.1.0", "1.1.0")] }),
        component("api", "1.3.0", { upgrades: [step(">=1.2.0 <1.3.0", "1.3.0"), step(">=1.0.0 <1.1.0", "1.1.0")] }),
        component("api", "1.2.0", { upgrades: [step(">=1.1.0 <1.2.0", "1.2.0")] }),
        component("api", "2.0.0", { upgrades: [step(">=1.3.0 <2.0.0", "2.0.0")] }),
      ],
      entries: [{ name: "api", component: "api", version: "^1.0.0" }],
    });
    expect(only(r).upgrades.map((s) => s.to)).toEqual(["1.1.0", "1.2.0", "1.3.0"]);
  });

  it("is placed on every matching cluster, ordered by cluster", () => {
    const r = repo({
      components: [component("api", "1.0.0")],
      entries: [{ name: "api", component: "api", version: "1.0.0" }],
      clusters: [doc("Cluster", "b", {}, { env: "prod" }), doc("Cluster", "a", {}, { env: "dev" })],
    });
    expect(resolveReleases(r).map((x) => [x.cluster, (x.values.cluster as { labels: unknown }).labels])).toEqual([
      ["a", { env: "dev" }],
      ["b", { env: "prod" }],
    ]);
  });
});

describe("resolveReleases: the release's Project", () => {
  const project = (spec: ProjectSpec): Project => doc("Project", "team", spec);
  const entries = [{ name: "api", component: "api", version: "1.0.0" }];
  const withProject = (spec: ProjectSpec) => repo({ components: [component("api", "1.0.0")], entries, projects: [project(spec)], project: "team" });

  it.each<[string, ProjectSpec, ReturnType<typeof only>["project"]]>([
    ["limits only", { namespaces: ["app", "app-*"] }, { name: "team", namespaces: ["app", "app-*"], clusterScoped: [] }],
    ["cluster-scoped kinds, sorted", { namespaces: ["app"], clusterScoped: ["ClusterRoleBinding", "ClusterRole"] }, { name: "team", namespaces: ["app"], clusterScoped: ["ClusterRole", "ClusterRoleBinding"] }],
    [
      "impersonation as the ServiceAccount and its groups",
      { namespaces: ["app"], impersonate: { serviceAccount: "berth-team", namespace: "team-system" } },
      {
        name: "team",
        namespaces: ["app"],
        clusterScoped: [],
        impersonate: {
          user: "system:serviceaccount:team-system:berth-team",
          groups: ["system:serviceaccounts", "system:serviceaccounts:team-system", "system:authenticated"],
        },
      },
    ],
  ])("%s", (_n, spec, want) => {
    expect(only(withProject(spec)).project).toEqual(want);
  });

  it("an external release carries its Project too", () => {
    const r = withProject({ namespaces: ["app"] });
    r.overlays = [doc("Overlay", "o", { application: "app", clusters: ["c1"], components: { api: { external: { host: "h.example", port: 1 } } } })];
    expect(only(r).project?.name).toBe("team");
  });

  it("an application without a project has none", () => {
    expect(only(repo({ components: [component("api", "1.0.0")], entries })).project).toBeUndefined();
  });

  it("is not part of what the release is: digest, rendered files and diff metadata stay the same", () => {
    const plain = repo({ components: [component("api", "1.0.0")], entries });
    const limited = withProject({ namespaces: ["app"], impersonate: { serviceAccount: "sa", namespace: "app" } });
    const [a, b] = [only(plain), only(limited)];
    expect(b.project).toBeDefined();
    expect(releaseDigest(b)).toBe(releaseDigest(a));
    expect(releaseMeta(b)).toEqual(releaseMeta(a));
    const files = (rs: ReturnType<typeof resolveReleases>) => outputFiles({ charts: [], releases: rs });
    expect(files([b])).toEqual(files([a]));
  });
});

describe("resolveReleases: suspended in git", () => {
  const withApp = (appSuspended: boolean | undefined, entries: AppComponentEntry[]): Repo => {
    const r = repo({ components: [component("api", "1.0.0"), component("web", "1.0.0")], entries });
    const app = r.applications[0]!;
    r.applications = [{ ...app, spec: { ...app.spec, ...(appSuspended !== undefined ? { suspended: appSuspended } : {}) } }];
    return r;
  };
  const api = { name: "api", component: "api", version: "^1.0.0" };
  const web = { name: "web", component: "web", version: "^1.0.0" };

  it.each([
    { name: "the Application suspends every entry", app: true, entries: [api, web], want: { "app-api": "spec.suspended", "app-web": "spec.suspended" } },
    { name: "an entry suspends itself alone", app: undefined, entries: [api, { ...web, suspended: true }], want: { "app-api": undefined, "app-web": "spec.components[1].suspended" } },
    { name: "an entry's false wins over its Application's true", app: true, entries: [{ ...api, suspended: false }, web], want: { "app-api": undefined, "app-web": "spec.suspended" } },
  ])("$name", ({ app, entries, want }) => {
    const rs = resolveReleases(withApp(app, entries));
    expect(Object.fromEntries(rs.map((r) => [r.name, r.suspended?.replace(/^\S+ /, "")]))).toEqual(want);
  });

  it("says where git suspends it, stays out of the digest, and the metadata file says only that it is", () => {
    const off = resolveReleases(withApp(undefined, [api]))[0]!;
    const on = resolveReleases(withApp(true, [api]))[0]!;
    expect(on.suspended).toMatch(/^applications\/app\.yaml:\d+:\d+ spec\.suspended$/);
    expect(releaseDigest(on)).toBe(releaseDigest(off));
    expect(releaseMeta(on).suspended).toBe(true);
    expect(releaseMeta(off)).not.toHaveProperty("suspended");
  });
});
