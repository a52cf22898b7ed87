// Every kind of invalid input, each through the real CLI on a temporary
// repository: exit 1, the right file and line, and a message that says what
// is wrong.
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BASE_REPO } from "./fixtures/base-repo.ts";
import { edit, removeRepo, runCli, writeRepo, type RepoFiles } from "./helpers/temp-repo.ts";

const B = BASE_REPO;
const APP = "apps/shop.yaml";
const OVL = "overlays/shop-prod.yaml";
const API5 = "components/api-3.0.5.yaml";
const API6 = "components/api-3.0.6.yaml";
const CLUSTERS = "clusters/prod.yaml";
const WEB = "definitions/workloads/webservice.yaml";

const H = "apiVersion: berth.dev/v1alpha1\n";
const cluster = (name: string, extra = "") => `${H}kind: Cluster\nmetadata:\n  name: ${name}\nspec:\n  kubeconfig: { inCluster: true }\n${extra}`;

// A Project for the base repository's application, and the application naming it.
const PROJ = "projects/team.yaml";
const project = (extra = "") => ({ [PROJ]: `${H}kind: Project\nmetadata:\n  name: team\nspec:\n  namespaces: [shop, "shop-*"]\n${extra}` });
const inProject = (namespace = "shop") => edit(B, APP, "  namespace: shop", `  project: team\n  namespace: ${namespace}`);
const DEPLOY_TPL = "definitions/workloads/templates/deployment.yaml";

interface Case {
  name: string;
  files: RepoFiles;
  /** Flags after `validate DIR`. */
  args?: string[];
  setup?: (dir: string) => void;
  file: string;
  line: number;
  message: RegExp;
}

const laughs = [
  `${H}kind: Cluster`,
  "a: &a [x, x, x, x, x, x, x, x, x, x]",
  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]",
  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]",
  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]",
  "",
].join("\n");

const cases: Case[] = [
  // --- files and YAML
  { name: "YAML syntax error", files: { "bad.yaml": `${H}kind: Cluster\nmetadata:\n  name: a: b\nspec: {}\n` }, file: "bad.yaml", line: 4, message: /YAML syntax error: Nested mappings are not allowed/ },
  { name: "YAML duplicate key", files: { "dup.yaml": cluster("dup", "spec: {}\n") }, file: "dup.yaml", line: 7, message: /YAML syntax error: Map keys must be unique/ },
  { name: "YAML alias bomb", files: { "bomb.yaml": laughs }, file: "bomb.yaml", line: 4, message: /aliases expand too much.*resource-exhaustion/ },
  { name: "oversized file", files: { "big.yaml": `# ${"x".repeat(1024 * 1024)}\n` }, file: "big.yaml", line: 1, message: /over the limit of 1048576 bytes/ },
  { name: "document that is not a mapping", files: { "list.yaml": "- a\n- b\n" }, file: "list.yaml", line: 1, message: /must be a mapping.*got a list/ },
  { name: "unknown kind", files: { "k.yaml": `${H}kind: Deployment\nmetadata: { name: x }\nspec: {}\n` }, file: "k.yaml", line: 2, message: /unknown kind "Deployment": must be one of Component, Application/ },
  { name: "wrong apiVersion", files: { "v.yaml": `apiVersion: apps/v1\nkind: Cluster\nmetadata: { name: x }\nspec: {}\n` }, file: "v.yaml", line: 1, message: /unknown apiVersion "apps\/v1": must be berth.dev\/v1alpha1/ },
  { name: "missing kind", files: { "nk.yaml": `${H}metadata: { name: x }\nspec: {}\n` }, file: "nk.yaml", line: 1, message: /missing kind: must be one of/ },
  // --- definitions' templates
  { name: "template path traversal", files: edit(B, WEB, "- templates/deployment.yaml", '- "../../../etc/passwd"'), file: WEB, line: 10, message: /leads outside the repository \(to \.\.\/etc\/passwd\)/ },
  {
    name: "template path traversal from the root",
    files: { "evil.yaml": `${H}kind: TraitDefinition\nmetadata: { name: evil }\nspec:\n  version: 1.0.0\n  appliesTo: ["*"]\n  schema: {}\n  templates: ["../../etc/passwd"]\n` },
    file: "evil.yaml",
    line: 8,
    message: /spec.templates\[0\]: template path "..\/..\/etc\/passwd" leads outside the repository \(to ..\/..\/etc\/passwd\)/,
  },
  { name: "absolute template path", files: edit(B, WEB, "- templates/deployment.yaml", "- /etc/passwd"), file: WEB, line: 10, message: /must be a relative path/ },
  { name: "missing template file", files: edit(B, WEB, "- templates/deployment.yaml", "- templates/nope.yaml"), file: WEB, line: 10, message: /templates\/nope.yaml.*does not exist/ },
  {
    name: "template symlink leading out",
    files: edit(B, WEB, "- templates/deployment.yaml", "- templates/link.yaml"),
    setup: (dir) => symlinkSync("/etc/hostname", join(dir, "definitions/workloads/templates/link.yaml")),
    file: WEB,
    line: 10,
    message: /symlink leading outside the repository/,
  },
  {
    name: "two templates that would get one chart file name",
    files: { ...edit(B, WEB, "- templates/deployment.yaml", "- templates/deployment.yaml\n    - templates/deployment.yaml.hbs"), "definitions/workloads/templates/deployment.yaml.hbs": "kind: Deployment\n" },
    file: WEB,
    line: 11,
    message: /spec.templates\[1\]: template "templates\/deployment.yaml.hbs" would be written to the chart as templates-deployment.yaml, the name of template "templates\/deployment.yaml" \(spec.templates\[0\]\); rename or move one/,
  },
  // --- shape (JSON Schema)
  { name: "unknown field names the allowed ones", files: edit(B, APP, "      dependsOn: [redis]", "      dependsOn: [redis]\n      replica: 3"), file: APP, line: 15, message: /unknown field "replica"; allowed here: name, component, version, dependsOn, replicas/ },
  { name: "enum lists allowed values", files: edit(B, APP, "wait: healthy", "wait: forever"), file: APP, line: 25, message: /spec.placement.rollout.wait: must be one of "healthy", "none", got "forever"/ },
  { name: "missing required field", files: edit(B, "components/jobs.yaml", "  container:\n    image: registry.example.com/shop/jobs\n", ""), file: "components/jobs.yaml", line: 5, message: /spec.container: required field is missing/ },
  { name: "env value not a string", files: edit(B, "components/jobs.yaml", "image: registry.example.com/shop/jobs", "image: registry.example.com/shop/jobs\n    env: { WORKERS: 4 }"), file: "components/jobs.yaml", line: 10, message: /must be of type string, got a number 4 \(quote it: "4"\)/ },
  // --- single fields
  { name: "bad semver version", files: edit(B, API6, "version: 3.0.6", 'version: "3.0"'), file: API6, line: 6, message: /spec.version: must be a semver version like 1.2.3, got "3.0"/ },
  { name: "bad semver range", files: edit(B, APP, '"^3.0.0"', '"latest"'), file: APP, line: 13, message: /must be a semver range like \^1.2.0/ },
  { name: "metadata.name not DNS-1123", files: { "c.yaml": cluster("Prod_EU") }, file: "c.yaml", line: 4, message: /metadata.name: must be a DNS-1123 label.*got "Prod_EU"/ },
  { name: "label value not a Kubernetes label", files: edit(B, CLUSTERS, "labels: { env: prod, region: hk }", "labels: { env: prod, region: hong kong }"), file: CLUSTERS, line: 5, message: /metadata.labels.region: label value "hong kong" is not a Kubernetes label value/ },
  { name: "namespace not DNS-1123", files: edit(B, APP, "namespace: shop", "namespace: Shop"), file: APP, line: 6, message: /spec.namespace: must be a DNS-1123 label/ },
  { name: "release name over 53 characters", files: edit(B, APP, "- name: jobs", `- name: ${"j".repeat(50)}`), file: APP, line: 19, message: /release name "shop-j+" .* Helm allows at most 53/ },
  { name: "kubeconfig with path and inCluster", files: edit(B, CLUSTERS, "{ inCluster: true }", "{ inCluster: true, path: /k }"), file: CLUSTERS, line: 15, message: /both path and inCluster/ },
  { name: "kubeconfig with neither", files: edit(B, CLUSTERS, "{ inCluster: true }", "{ context: x }"), file: CLUSTERS, line: 15, message: /needs exactly one of path .* or inCluster: true/ },
  { name: "kubeconfig path from the environment", files: edit(B, CLUSTERS, "{ inCluster: true }", "{ path: \"/x/${HOME}/kc\" }"), file: CLUSTERS, line: 15, message: /spec\.kubeconfig\.path: path .* has a "\$": nothing in a kubeconfig path is expanded/ },
  { name: "relative kubeconfig path", files: edit(B, CLUSTERS, "{ inCluster: true }", "{ path: clusters/kc }"), file: CLUSTERS, line: 15, message: /spec\.kubeconfig\.path: path "clusters\/kc" is relative/ },
  { name: "upgrade step to above own version", files: edit(B, API6, "to: 3.0.6", "to: 3.1.0"), file: API6, line: 26, message: /must not be above this Component's own version 3.0.6, got 3.1.0/ },
  { name: "upgrade step from not a range", files: edit(B, API6, '">=3.0.0 <3.0.6"', '"from-3"'), file: API6, line: 25, message: /spec.upgrades\[0\].from: must be a semver range/ },
  // --- duplicates
  { name: "duplicate cluster name", files: { "more/c.yaml": cluster("prod-hk") }, file: "more/c.yaml", line: 4, message: /duplicate Cluster "prod-hk": also defined at clusters\/prod.yaml:4:9/ },
  { name: "duplicate component version", files: { "components/api-copy.yaml": B[API5] ?? "" }, file: "components/api-copy.yaml", line: 4, message: /duplicate Component "api" version 3.0.5: also defined at components\/api-3.0.5.yaml:4:9/ },
  { name: "duplicate entry name", files: edit(B, APP, "- name: jobs", "- name: api"), file: APP, line: 19, message: /duplicate entry name "api": also used by spec.components\[1\]/ },
  {
    // app `a` entry `b-web` and app `a-b` entry `web` both render release a-b-web in namespace x
    name: "two applications render one release name",
    files: {
      "apps/a.yaml": `${H}kind: Application\nmetadata: { name: a }\nspec:\n  namespace: x\n  components:\n    - { name: b-web, component: jobs, version: "^1.0.0" }\n`,
      "apps/a-b.yaml": `${H}kind: Application\nmetadata: { name: a-b }\nspec:\n  namespace: x\n  components:\n    - { name: web, component: jobs, version: "^1.0.0" }\n`,
    },
    file: "apps/a.yaml",
    line: 7,
    message: /spec.components\[0\].name: application "a" entry "b-web" and application "a-b" entry "web" \(apps\/a-b.yaml:7:15\) both render release "a-b-web" on clusters prod-fra, prod-hk \(both in namespace x\).*rename one of the two entries/,
  },
  // --- health
  { name: "missing startup probe", files: edit(B, API5, "      startup: { httpGet: { path: /startz, port: http } }\n", ""), file: API5, line: 11, message: /workload "webservice" requires liveness, readiness and startup probes; missing: startup/ },
  { name: "equal probes", files: edit(B, API5, "path: /readyz", "path: /livez"), file: API5, line: 13, message: /readiness probe is identical to the liveness probe/ },
  // --- references
  { name: "unknown workload", files: edit(B, "components/jobs.yaml", "workload: worker", "workload: wroker"), file: "components/jobs.yaml", line: 7, message: /unknown workload "wroker"; known workloads: .*worker/ },
  { name: "unresolvable requires", files: edit(B, API6, 'redis: ">=7.0.0 <8"', 'postgres: ">=15.0.0"'), file: API6, line: 23, message: /requires unknown component "postgres"/ },
  { name: "requires range no version meets", files: edit(B, API6, 'redis: ">=7.0.0 <8"', 'redis: ">=8.0.0"'), file: API6, line: 23, message: /no version of component "redis" matches ">=8.0.0"; available: 7.2.4/ },
  { name: "entry names an unknown component", files: edit(B, APP, "component: jobs", "component: jobz"), file: APP, line: 20, message: /no Component named "jobz"; known components: api, jobs, redis/ },
  { name: "entry range matches no version", files: edit(B, APP, '"^3.0.0"', '"^4.0.0"'), file: APP, line: 13, message: /no version of component "api" matches "\^4.0.0"; available: 3.0.5, 3.0.6/ },
  { name: "prerelease only when asked", files: { ...edit(B, APP, '"^1.0.0"', '"^2.0.0"'), "components/jobs-2.yaml": (B["components/jobs.yaml"] ?? "").replace("1.0.0", "2.0.0-rc.1") }, file: APP, line: 21, message: /no version of component "jobs" matches "\^2.0.0"; available: 1.0.0, 2.0.0-rc.1/ },
  { name: "dependsOn an unknown entry", files: edit(B, APP, "dependsOn: [api]", "dependsOn: [apy]"), file: APP, line: 22, message: /no entry named "apy" in application "shop"; entries: api, jobs, redis/ },
  { name: "unknown trait", files: edit(B, APP, "ingress: {", "ingres: {"), file: APP, line: 16, message: /unknown trait "ingres"; known traits: autoscaler, .*ingress/ },
  { name: "trait not applicable to the workload", files: edit(B, APP, "dependsOn: [api]", "dependsOn: [api]\n      traits: { ingress: { host: x.example.com } }"), file: APP, line: 23, message: /trait "ingress" does not apply to workload "worker".*applies to: webservice/ },
  { name: "trait appliesTo an unknown workload", files: edit(B, "definitions/traits/ingress.yaml", "appliesTo: [webservice]", "appliesTo: [webservice, websrvice]"), file: "definitions/traits/ingress.yaml", line: 7, message: /unknown workload "websrvice"/ },
  { name: "placement names an unknown cluster", files: edit(B, APP, "clusterSelector: { env: prod }", "clusters: [prod-xx]"), file: APP, line: 24, message: /unknown cluster "prod-xx"; known clusters: prod-fra, prod-hk/ },
  { name: "canary not among placed clusters", files: { ...edit(B, APP, "canary: [prod-hk]", "canary: [dev]"), "clusters/dev.yaml": cluster("dev") }, file: APP, line: 25, message: /canary cluster "dev" is not one this application is placed on; placed on: prod-fra, prod-hk/ },
  { name: "overlay of an unknown application", files: edit(B, OVL, "application: shop", "application: shops"), file: OVL, line: 6, message: /no Application named "shops"; known applications: shop/ },
  { name: "overlay for an unknown entry", files: edit(B, OVL, "    redis:\n", "    rediss:\n"), file: OVL, line: 16, message: /application "shop" has no entry named "rediss"/ },
  { name: "overlay names an unknown cluster", files: edit(B, OVL, "clusterSelector: { env: prod }", "clusters: [prod-hk, prod-xx]"), file: OVL, line: 7, message: /unknown cluster "prod-xx"/ },
  { name: "overlay version range narrows to nothing", files: edit(B, OVL, '"~3.0.6"', '"~3.1.0"'), file: OVL, line: 10, message: /no version of component "api" matches both the application's "\^3.0.0" and "~3.1.0"; available: 3.0.5, 3.0.6/ },
  {
    name: "two overlays' ranges together match nothing on a cluster",
    files: { "overlays/shop-hk.yaml": `${H}kind: Overlay\nmetadata: { name: shop-hk }\nspec:\n  application: shop\n  clusters: [prod-hk]\n  components:\n    api: { version: "3.0.5" }\n` },
    file: "overlays/shop-hk.yaml",
    line: 8,
    message: /on cluster prod-hk, the overlays' ranges "~3.0.6", "3.0.5" together with the application's "\^3.0.0" match no version of component "api"; available: 3.0.5, 3.0.6/,
  },
  // --- values against user schemas
  { name: "overlay config fails the component's schema", files: edit(B, OVL, "config: { featureX: true }", 'config: { featureX: "yes" }'), file: OVL, line: 15, message: /spec.components.api.config.featureX: must be of type boolean, got a string "yes" \(component api 3.0.6 config schema\)/ },
  { name: "application config has a field the schema refuses", files: edit(B, APP, "config: { featureX: false }", "config: { featureY: true }"), file: APP, line: 18, message: /unknown field "featureY"; allowed here: featureX \(component api 3.0.6 config schema\)/ },
  { name: "config for a component without a config schema", files: edit(B, APP, "dependsOn: [api]", "dependsOn: [api]\n      config: { a: 1 }"), file: APP, line: 23, message: /component jobs 1.0.0 declares no config schema/ },
  { name: "component config schema itself invalid", files: edit(B, API6, "type: object\n      additionalProperties", "type: objekt\n      additionalProperties"), file: API6, line: 17, message: /spec.config.schema.type: is not a valid JSON Schema: type must be one of array, boolean/ },
  { name: "trait values fail the trait's schema", files: edit(B, OVL, "autoscaler: { min: 4, max: 20 }", "autoscaler: { min: 0, max: 20 }"), file: OVL, line: 13, message: /traits.autoscaler.min: must be >= 1.*trait autoscaler schema/ },
  {
    name: "merged trait values miss a required property",
    files: { ...edit(B, APP, "ingress: { host: shop.example.com, path: / }", "ingress: { path: / }"), ...edit(B, OVL, "ingress: false", "ingress: { path: /x }") },
    file: OVL,
    line: 14,
    message: /traits.ingress.host: required field is missing.*trait ingress schema/,
  },
  { name: "trait switched on with true still needs its required properties", files: { ...edit(B, APP, "ingress: { host: shop.example.com, path: / }", "ingress: true"), ...edit(B, OVL, "        ingress: false\n", "") }, file: APP, line: 16, message: /traits.ingress.host: required field is missing/ },
  // --- raw values against the generated chart's values.schema.json
  {
    name: "overlay values break the chart's schema",
    files: edit(B, OVL, "      config: { featureX: true }\n", "      config: { featureX: true }\n      values: { image: { pullPolicy: Sometimes } }\n"),
    file: OVL,
    line: 16,
    message: /spec.components.api.values.image.pullPolicy: must be one of "Always", "IfNotPresent", "Never", got "Sometimes" \(values.schema.json of chart webservice 1.0.0, release shop-api\)/,
  },
  {
    name: "application entry values replace a list with one the chart's schema refuses",
    files: edit(B, APP, "      config: { featureX: false }\n", "      config: { featureX: false }\n      values:\n        ports: [{ name: http }]\n"),
    file: APP,
    line: 20,
    message: /spec.components\[1\].values.ports\[0\].port: required field is missing \(values.schema.json of chart webservice 1.0.0, release shop-api\)/,
  },
  {
    name: "workload defaults break the workload's own values schema",
    files: edit(B, WEB, "  healthRequired: true\n", "  healthRequired: true\n  defaults: { tier: gold }\n  schema: { type: object, properties: { tier: { enum: [silver, bronze] } } }\n"),
    file: WEB,
    line: 9,
    message: /spec.defaults.tier: must be one of "silver", "bronze", got "gold" \(values.schema.json of chart webservice 1.0.0/,
  },
  // --- cycles
  { name: "dependsOn cycle", files: edit(B, APP, "      version: \"~7.2.0\"\n", "      version: \"~7.2.0\"\n      dependsOn: [jobs]\n"), file: APP, line: 23, message: /dependency cycle: api -> redis -> jobs -> api \(through dependsOn\)/ },
  // --- projects
  { name: "application in kube-system outside its Project", files: { ...project(), ...inProject("kube-system") }, file: APP, line: 7, message: /spec.namespace: namespace "kube-system" is outside project "team" \(projects\/team.yaml:4:9\), which allows namespaces shop, shop-\*/ },
  { name: "application names an unknown Project", files: { ...project(), ...edit(B, APP, "  namespace: shop", "  project: teem\n  namespace: shop") }, file: APP, line: 6, message: /spec.project: no Project named "teem"; known projects: team/ },
  {
    name: "placement reaches a cluster outside the Project",
    files: { ...project("  clusters: { names: [prod-hk] }\n"), ...inProject() },
    file: APP,
    line: 25,
    message: /spec.placement.clusterSelector: placement.clusterSelector selects cluster prod-fra, outside project "team" .*which allows clusters prod-hk/,
  },
  {
    name: "custom WorkloadDefinition's template renders a ClusterRoleBinding",
    files: {
      ...project(),
      ...inProject(),
      [DEPLOY_TPL]: "kind: Deployment\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {{ .Release.Name }}-admin\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }\n",
    },
    file: DEPLOY_TPL,
    line: 4,
    message: /kind: ClusterRoleBinding \(rbac.authorization.k8s.io\/v1\) is cluster-scoped, and the Project allows cluster-scoped kinds: \(none\) \(template of WorkloadDefinition webservice and WorkloadDefinition worker, used by application shop entry api, application shop entry jobs; project "team"/,
  },
  {
    name: "template copies another namespace's Secret with lookup",
    files: { ...project(), ...inProject(), [DEPLOY_TPL]: 'kind: ConfigMap\ndata:\n  password: {{ (lookup "v1" "Secret" "other" "db").data.password | quote }}\n' },
    file: DEPLOY_TPL,
    line: 3,
    message: /Helm's lookup reads objects from the cluster, outside the release.*project "team"/,
  },
  { name: "template sets another namespace", files: { ...project(), ...inProject(), [DEPLOY_TPL]: "kind: Deployment\nmetadata:\n  namespace: kube-system\n" }, file: DEPLOY_TPL, line: 3, message: /metadata.namespace: sets namespace "kube-system"; under a Project a chart creates its objects in the release's namespace only/ },
  { name: "application without a Project under --require-project", files: project(), args: ["--require-project"], file: APP, line: 5, message: /spec.project: application "shop" names no Project, and berth runs with --require-project; set spec.project \(name one of the Projects: team\)/ },
  { name: "cycle through requires", files: { [APP]: (B[APP] ?? "").replace("      dependsOn: [redis]\n", "").replace("      version: \"~7.2.0\"\n", "      version: \"~7.2.0\"\n      dependsOn: [api]\n") }, file: APP, line: 11, message: /dependency cycle: api -> redis -> api \(through requires of api, dependsOn\)/ },
];

describe("berth validate refuses invalid input", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeRepo));

  it.each(cases)("$name", async (c) => {
    const dir = writeRepo({ ...BASE_REPO, ...c.files });
    dirs.push(dir);
    c.setup?.(dir);
    const res = await runCli(["validate", dir, ...(c.args ?? [])]);
    expect(res.code, res.stdout).toBe(1);
    expect(res.stdout).toBe("");
    const lines = res.stderr.split("\n");
    const hit = lines.find((l) => l.startsWith(`${c.file}:${c.line}:`) && c.message.test(l));
    expect(hit, `no line "${c.file}:${c.line}:... ${c.message}" in:\n${res.stderr}`).toBeDefined();
  });

  it("covers at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });
});

describe("berth validate accepts a valid repository", () => {
  it("exits 0 and prints a summary", async () => {
    const dir = writeRepo(BASE_REPO);
    const res = await runCli(["validate", dir]);
    removeRepo(dir);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^ok: 4 components, 1 application, 1 overlay, 2 clusters, \d+ workloads \(2 from the repository\), \d+ traits \(2 from the repository\)\n$/);
  });

  it("accepts an application inside its Project, with or without --require-project", async () => {
    const dir = writeRepo({ ...BASE_REPO, ...project("  clusters: { selector: { env: prod } }\n"), ...inProject() });
    const plain = await runCli(["validate", dir]);
    const required = await runCli(["validate", dir, "--require-project"]);
    removeRepo(dir);
    expect(plain.stderr).toBe("");
    expect(plain.stdout).toMatch(/^ok: .*, 2 clusters, 1 project, /);
    expect(required.stderr).toBe("");
    expect(required.code).toBe(0);
  });

  it.each(["shop", "platform"])("examples/%s keeps to its Project under --require-project", async (example) => {
    const res = await runCli(["validate", fileURLToPath(new URL(`../../examples/${example}`, import.meta.url)), "--require-project"]);
    // platform's chart repository is the demo's loopback one, not served here: a warning, not an error
    const rest = res.stderr.replace(/^warning: components\/metrics-server\.yaml:7:3 spec\.chart: cannot read chart metrics-server from ChartRepository sigs: .*; its releases would be blocked until it can be read\n/m, "");
    expect(rest).toBe("");
    expect(res.stdout).toMatch(example === "platform" ? /, 2 projects, / : /, 1 project, /);
  });

    it("accepts overlay values that complete the application's (merged as the renderer merges)", async () => {
    const dir = writeRepo({
      ...BASE_REPO,
      ...edit(B, APP, "ingress: { host: shop.example.com, path: / }", "ingress: { path: / }"),
      ...edit(B, OVL, "ingress: false", "ingress: { host: prod.example.com }"),
    });
    const res = await runCli(["validate", dir]);
    removeRepo(dir);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
  });

  it("defaults to the working directory", async () => {
    const dir = writeRepo(BASE_REPO);
    const res = await runCli(["validate"], dir);
    removeRepo(dir);
    expect(res.code).toBe(0);
  });

  it("exits 2 when the directory does not exist", async () => {
    const res = await runCli(["validate", "/nonexistent/berth-repo"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is not a directory/);
  });
});
