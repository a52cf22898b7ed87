import { describe, expect, it } from "vitest";
import type { AppComponentEntry, Application, Cluster, Component, Overlay, OverlayComponentPatch, Project, ProjectSpec, TraitDefinition, WorkloadDefinition } from "../types.ts";
import { makeContext, type Docs } from "./context.ts";
import { projectTemplateRules } from "./project-templates.ts";

const originOf = (file: string) => ({ file, pos: () => ({ line: 1, col: 1 }) });
const H = { apiVersion: "berth.dev/v1alpha1" as const };

const workload = (name: string, files: Record<string, string>, builtin = false): WorkloadDefinition => ({
  ...H,
  kind: "WorkloadDefinition",
  metadata: { name },
  spec: { version: "1.0.0", workloadKind: "Deployment", templates: Object.keys(files) },
  origin: originOf(`definitions/${name}.yaml`),
  builtin,
  files,
});
const trait = (name: string, files: Record<string, string>, appliesTo = ["*"]): TraitDefinition => ({
  ...H,
  kind: "TraitDefinition",
  metadata: { name },
  spec: { version: "1.0.0", appliesTo, schema: {}, templates: Object.keys(files) },
  origin: originOf(`definitions/traits/${name}.yaml`),
  builtin: false,
  files,
});
const component = (name: string, version: string, workloadName: string): Component => ({
  ...H,
  kind: "Component",
  metadata: { name },
  spec: { version, workload: workloadName, container: { image: name } },
  origin: originOf(`components/${name}-${version}.yaml`),
});
const cluster = (name: string): Cluster => ({ ...H, kind: "Cluster", metadata: { name, labels: {} }, spec: {}, origin: originOf(`clusters/${name}.yaml`) });
const app = (entry: Partial<AppComponentEntry>, project: string | null = "team"): Application => ({
  ...H,
  kind: "Application",
  metadata: { name: "shop" },
  spec: { namespace: "shop", components: [{ name: "api", component: "api", version: "^1.0.0", ...entry }], ...(project ? { project } : {}) },
  origin: originOf("apps/shop.yaml"),
});
const overlay = (patch: OverlayComponentPatch): Overlay => ({ ...H, kind: "Overlay", metadata: { name: "o" }, spec: { application: "shop", components: { api: patch } }, origin: originOf("overlays/o.yaml") });
const project = (spec: Partial<ProjectSpec> = {}): Project => ({ ...H, kind: "Project", metadata: { name: "team" }, spec: { namespaces: ["shop"], ...spec }, origin: originOf("projects/team.yaml") });

const CRB = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: x\n";
const DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n";

interface Setup {
  workloads?: WorkloadDefinition[];
  traits?: TraitDefinition[];
  components?: Component[];
  overlays?: Overlay[];
  projects?: Project[];
  app?: Application;
}

function run(s: Setup) {
  const docs = {
    components: s.components ?? [component("api", "1.0.0", "web")],
    applications: [s.app ?? app({})],
    overlays: s.overlays ?? [],
    clusters: [cluster("dev")],
    workloads: s.workloads ?? [workload("web", { "templates/deploy.yaml": DEPLOY })],
    traits: s.traits ?? [],
    projects: s.projects ?? [project()],
    charts: [],
    chartRepositories: [],
  } as unknown as Docs;
  return projectTemplateRules(makeContext(docs)).map((i) => `${i.file}:${i.line}:${i.col} ${i.path}: ${i.message}`);
}

describe("projectTemplateRules", () => {
  it.each<[string, Setup, RegExp[]]>([
    ["a namespaced chart is fine", {}, []],
    [
      "a workload template rendering a ClusterRoleBinding",
      { workloads: [workload("web", { "templates/deploy.yaml": DEPLOY, "templates/crb.yaml": CRB })] },
      [/^definitions\/templates\/crb.yaml:2:7 kind: ClusterRoleBinding \(rbac.authorization.k8s.io\/v1\) is cluster-scoped, and the Project allows cluster-scoped kinds: \(none\) \(template of WorkloadDefinition web, used by application shop entry api; project "team" \(projects\/team.yaml:1:1\)\); list ClusterRoleBinding in the Project's spec.clusterScoped/],
    ],
    ["a cluster-scoped kind the Project lists", { workloads: [workload("web", { "t/crb.yaml": CRB })], projects: [project({ clusterScoped: ["ClusterRoleBinding"] })] }, []],
    ["no Project: nothing is checked", { workloads: [workload("web", { "t/crb.yaml": CRB })], app: app({}, null) }, []],
    ["a computed kind", { workloads: [workload("web", { "t/x.yaml": "kind: {{ .Values.kind }}\n" })] }, [/^definitions\/t\/x.yaml:1:7 kind: the kind is computed \("\{\{ .Values.kind \}\}"\), so it cannot be checked against the Project before applying/]],
    ["another namespace", { workloads: [workload("web", { "t/x.yaml": "kind: Secret\nmetadata:\n  namespace: kube-system\n" })] }, [/^definitions\/t\/x.yaml:3:3 metadata.namespace: sets namespace "kube-system"; under a Project a chart creates its objects in the release's namespace only/]],
    ["lookup", { workloads: [workload("web", { "t/cm.yaml": 'kind: ConfigMap\ndata: {{ (lookup "v1" "Secret" "other" "db").data | toYaml | nindent 2 }}\n' })] }, [/^definitions\/t\/cm.yaml:2:11 : Helm's lookup reads objects from the cluster, outside the release.*pass what it needs in values instead/]],
    [
      "a trait switched off renders no objects, but its functions are still in the chart",
      { traits: [trait("rbac", { "t/crb.yaml": CRB, "t/_h.tpl": '{{- define "h" }}{{ tpl .Values.x . }}{{ end }}' })] },
      [/^definitions\/traits\/t\/_h.tpl:1:21 : Helm's tpl renders a string as a template/],
    ],
    ["a trait switched on renders its objects", { app: app({ traits: { rbac: {} } }), traits: [trait("rbac", { "t/crb.yaml": CRB })] }, [/^definitions\/traits\/t\/crb.yaml:2:7 kind: ClusterRoleBinding .*template of TraitDefinition rbac/]],
    ["a trait switched on through raw values", { app: app({ values: { traits: { rbac: { enabled: true } } } }), traits: [trait("rbac", { "t/crb.yaml": CRB })] }, [/crb.yaml:2:7 kind: ClusterRoleBinding/]],
    ["a trait an overlay switches on", { overlays: [overlay({ traits: { rbac: {} } })], traits: [trait("rbac", { "t/crb.yaml": CRB })] }, [/crb.yaml:2:7 kind: ClusterRoleBinding/]],
    ["a trait an overlay switches off", { app: app({ traits: { rbac: {} } }), overlays: [overlay({ traits: { rbac: false } })], traits: [trait("rbac", { "t/crb.yaml": CRB })] }, []],
    ["a trait for another workload is not in the chart", { app: app({ traits: { rbac: {} } }), traits: [trait("rbac", { "t/crb.yaml": CRB }, ["worker"])] }, []],
    [
      "the workload an overlay's version picks",
      {
        components: [component("api", "1.0.0", "web"), component("api", "1.1.0", "evil")],
        overlays: [overlay({ version: "1.1.0" })],
        workloads: [workload("web", { "t/d.yaml": DEPLOY }), workload("evil", { "t/crb.yaml": CRB })],
      },
      [/^definitions\/t\/crb.yaml:2:7 kind: ClusterRoleBinding .*template of WorkloadDefinition evil/],
    ],
    [
      "one file two workloads name is one issue naming both",
      {
        components: [component("api", "1.0.0", "web"), component("jobs", "1.0.0", "worker")],
        app: { ...app({}), spec: { namespace: "shop", project: "team", components: [{ name: "api", component: "api", version: "^1.0.0" }, { name: "jobs", component: "jobs", version: "^1.0.0" }] } },
        workloads: [workload("web", { "t/crb.yaml": CRB }), workload("worker", { "t/crb.yaml": CRB })],
      },
      [/^definitions\/t\/crb.yaml:2:7 kind: .*\(template of WorkloadDefinition web and WorkloadDefinition worker, used by application shop entry api, application shop entry jobs;/],
    ],
    ["an external entry renders no chart of its own", { overlays: [overlay({ external: { host: "h", port: 1 } })], workloads: [workload("web", { "t/crb.yaml": CRB })] }, []],
  ])("%s", (_n, setup, want) => {
    const got = run(setup);
    expect(got, got.join("\n")).toHaveLength(want.length);
    got.forEach((line, i) => expect(line).toMatch(want[i]!));
  });
});
