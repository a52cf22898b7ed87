import { describe, expect, it } from "vitest";
import type { Application, ApplicationSpec, Cluster, Project, ProjectSpec } from "../types.ts";
import { makeContext, type Docs, type ValidateOptions } from "./context.ts";
import { projectRules } from "./projects.ts";

const originOf = (file: string) => ({ file, pos: () => ({ line: 3, col: 5 }) });
const H = { apiVersion: "berth.dev/v1alpha1" as const };
const cluster = (name: string, labels: Record<string, string> = {}): Cluster => ({ ...H, kind: "Cluster", metadata: { name, labels }, spec: {}, origin: originOf(`clusters/${name}.yaml`) });
const project = (name: string, spec: ProjectSpec): Project => ({ ...H, kind: "Project", metadata: { name }, spec, origin: originOf(`projects/${name}.yaml`) });
const app = (spec: Partial<ApplicationSpec>): Application => ({
  ...H,
  kind: "Application",
  metadata: { name: "shop" },
  spec: { namespace: "shop", components: [], ...spec },
  origin: originOf("apps/shop.yaml"),
});
const CLUSTERS = [cluster("dev", { env: "dev" }), cluster("prod-hk", { env: "prod", region: "hk" }), cluster("prod-fra", { env: "prod", region: "fra" })];
const TEAM = project("team", { namespaces: ["shop", "shop-*"], clusters: { names: ["dev"], selector: { region: "hk" } } });

function run(applications: Application[], projects: Project[], options: ValidateOptions = {}) {
  const docs = { components: [], applications, overlays: [], clusters: CLUSTERS, workloads: [], traits: [], projects, charts: [], chartRepositories: [] } as unknown as Docs;
  return projectRules(makeContext(docs, undefined, options)).map((i) => [i.file, i.path, i.message] as const);
}

describe("projectRules", () => {
  it.each<[string, Partial<ApplicationSpec>, Project[], ValidateOptions, [string, string, RegExp][]]>([
    ["no Projects and no flag: nothing to say", {}, [], {}, []],
    ["an application without a project is free without the flag", {}, [TEAM], {}, []],
    ["--require-project wants spec.project", {}, [TEAM], { requireProject: true }, [["apps/shop.yaml", "spec.project", /names no Project, and berth runs with --require-project; set spec.project \(name one of the Projects: team\)/]]],
    ["--require-project without any Project says to add one", {}, [], { requireProject: true }, [["apps/shop.yaml", "spec.project", /no Project is defined yet/]]],
    ["an unknown project lists the known ones", { project: "teem" }, [TEAM, project("ops", { namespaces: ["*"] })], {}, [["apps/shop.yaml", "spec.project", /no Project named "teem"; known projects: ops, team/]]],
    ["namespace matching a glob", { project: "team", namespace: "shop-eu", placement: { clusters: ["dev"] } }, [TEAM], {}, []],
    [
      "namespace outside every glob",
      { project: "team", namespace: "kube-system", placement: { clusters: ["dev"] } },
      [TEAM],
      {},
      [["apps/shop.yaml", "spec.namespace", /namespace "kube-system" is outside project "team" \(projects\/team.yaml:3:5\), which allows namespaces shop, shop-\*; use one of those/]],
    ],
    ["clusters allowed by name and by selector", { project: "team", placement: { clusters: ["dev", "prod-hk"] } }, [TEAM], {}, []],
    [
      "a named cluster outside the project, at its index",
      { project: "team", placement: { clusters: ["dev", "prod-fra"] } },
      [TEAM],
      {},
      [["apps/shop.yaml", "spec.placement.clusters[1]", /placement names cluster prod-fra, outside project "team" .*which allows clusters dev or clusters labelled region=hk/]],
    ],
    [
      "a selector reaching outside the project",
      { project: "team", placement: { clusterSelector: { env: "prod" } } },
      [TEAM],
      {},
      [["apps/shop.yaml", "spec.placement.clusterSelector", /clusterSelector selects cluster prod-fra, outside project "team"/]],
    ],
    [
      "no placement means every cluster",
      { project: "team" },
      [TEAM],
      {},
      [["apps/shop.yaml", "spec.placement", /goes to every cluster, including prod-fra, outside project "team"/]],
    ],
    ["a project without clusters allows every cluster", { project: "ops" }, [project("ops", { namespaces: ["*"] })], {}, []],
    [
      "an empty list of names allows none",
      { project: "ops", placement: { clusters: ["dev"] } },
      [project("ops", { namespaces: ["*"], clusters: { names: [] } })],
      {},
      [["apps/shop.yaml", "spec.placement.clusters[0]", /allows clusters \(none\)/]],
    ],
  ])("%s", (_n, spec, projects, options, want) => {
    const got = run([app(spec)], projects, options);
    expect(got.map(([f, p]) => [f, p])).toEqual(want.map(([f, p]) => [f, p]));
    got.forEach(([, , m], i) => expect(m).toMatch(want[i]![2]));
  });

  it("a Project naming an unknown cluster says which exist", () => {
    const got = run([], [project("team", { namespaces: ["*"], clusters: { names: ["dev", "prd"] } })]);
    expect(got).toEqual([["projects/team.yaml", "spec.clusters.names[1]", 'unknown cluster "prd"; known clusters: dev, prod-fra, prod-hk']]);
  });
});
