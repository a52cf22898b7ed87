// Resolution: per (cluster, application, component entry) -> ReleaseSpec.
// Pure. Values layout: see values-layout.ts. Precedence, lowest first:
// base layout < WorkloadDefinition defaults < Component < Application entry
// < Overlays (selector overlays, then cluster-named ones, each in name order).
// Maps merge deeply, arrays replace; `traits.<name>: false` switches a trait
// off (dropping its properties); `external` swaps the component for the
// built-in `external` chart (an ExternalName Service, see external-chart.ts).
import semver from "semver";
import { ValidationError, type Issue } from "../errors.ts";
import { where } from "../model/issue.ts";
import { formatPath } from "../model/origin.ts";
import { clustersFor, overlaysFor, pickVersion, releaseName } from "../model/select.ts";
import { stepKey } from "../model/types.ts";
import type {
  AppComponentEntry,
  Application,
  Cluster,
  Component,
  External,
  JsonObject,
  JsonSchema,
  Origin,
  Overlay,
  OverlayComponentPatch,
  Project,
  ReleaseProject,
  ReleaseSpec,
  Repo,
  TraitDefinition,
  TraitValues,
  UpgradeStep,
} from "../model/types.ts";
import { chartPick } from "../model/rules/context.ts";
import { chartDefaults, traitsFor } from "./chart.ts";
import { resolveChartRelease } from "./resolve-chart.ts";
import { EXTERNAL_CHART } from "./external-chart.ts";
import { clone, deepMerge, isPlainObject } from "./merge.ts";
import { isListTrait } from "./values-layout.ts";

/** Every release of the repository, ordered by cluster, application, entry. */
export function resolveReleases(repo: Repo): ReleaseSpec[] {
  // the loader already resolved a sound repository while checking its values
  const known = resolvedBy.get(repo);
  if (known) return [...known];
  const issues: Issue[] = [];
  const out: ReleaseSpec[] = [];
  for (const at of releaseInputs(repo)) {
    const r = resolveRelease({ ...at, repo, issues });
    if (r) out.push(r);
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return sortReleases(out);
}

// keyed by the Repo object itself: a copy with other documents is another key, so nothing stale is reused
const resolvedBy = new WeakMap<Repo, ReleaseSpec[]>();

/** Remembers a sound repository's releases (the loader resolved them checking values), so render reuses them. */
export function rememberResolved(repo: Repo, releases: ReleaseSpec[]): void {
  resolvedBy.set(repo, sortReleases([...releases]));
}

/** By cluster, application, entry: the order render and the planner see releases in. */
export const sortReleases = (rs: ReleaseSpec[]): ReleaseSpec[] =>
  rs.sort((a, b) => cmp(a.cluster, b.cluster) || cmp(a.application, b.application) || cmp(a.entry, b.entry));

/** Where each release comes from: (application, cluster, entry) with the overlays applying there, by application name. */
export function* releaseInputs(repo: Repo): Generator<Omit<ResolveOptions, "repo" | "issues">> {
  for (const app of [...repo.applications].sort(byName)) {
    for (const cluster of clustersFor(app, repo.clusters)) {
      const overlays = overlaysFor(app, cluster, repo.overlays);
      for (const [index, entry] of app.spec.components.entries()) yield { app, cluster, overlays, entry, index };
    }
  }
}

/**
 * One layer's contribution to a release's values: `value` set at the values
 * path `at` by the field `field` of the document at `origin`. A release's
 * writes come lowest precedence first, so the last one that set a path is
 * the one that counts (render/values-check.ts blames schema errors on it).
 */
export interface ValueWrite {
  at: (string | number)[];
  value: unknown;
  origin: Origin;
  field: (string | number)[];
  /** The document that wrote it, as a person names it (`berth explain`, `berth diff`). */
  layer: ValueLayer;
}

/** A layer of a release's values, lowest precedence first: WorkloadDefinition defaults, Component, Application entry, Overlay. */
export interface ValueLayer {
  kind: "WorkloadDefinition" | "Component" | "Application" | "Overlay";
  name: string;
}

export interface ResolveOptions {
  repo: Repo;
  app: Application;
  cluster: Cluster;
  /** The overlays applying here, lowest precedence first (overlaysFor). */
  overlays: Overlay[];
  entry: AppComponentEntry;
  index: number;
  issues: Issue[];
  /** When given, receives every layer's writes (ValueWrite), lowest precedence first. */
  writes?: ValueWrite[];
}

export function resolveRelease(o: ResolveOptions): ReleaseSpec | undefined {
  const { repo, app, cluster, entry } = o;
  const at = (path: (string | number)[], message: string) => {
    const p = ["spec", "components", o.index, ...path];
    o.issues.push({ file: app.origin.file, ...app.origin.pos(p), path: formatPath(p), message });
  };
  const patches = o.overlays
    .map((ov) => ({ ov, patch: ov.spec.components[entry.name] }))
    .filter((x): x is { ov: Overlay; patch: NonNullable<typeof x.patch> } => x.patch !== undefined);

  const base = releaseBase(o);
  const chart = repo.charts.find((c) => c.metadata.name === entry.component);
  const external = patches.reduce<External | undefined>((e, p) => p.patch.external ?? e, undefined);
  if (chart && !external) return resolveChartRelease(o, chart, base, patches);

  const versions = repo.components.filter((c) => c.metadata.name === entry.component);
  const ranges = [entry.version, ...patches.flatMap((p) => (p.patch.version ? [p.patch.version] : []))];
  const picked = chart ? chartPick(chart, ranges) ?? "0.0.0" : pickVersion(versions.map((c) => c.spec.version), ranges);
  const component = chart ? { metadata: { name: chart.metadata.name }, spec: { version: picked! } } : versions.find((c) => c.spec.version === picked);
  if (!component) {
    const narrowed = patches.filter((p) => p.patch.version).map((p) => ` and overlay ${p.ov.metadata.name}'s "${p.patch.version}"`);
    const avail = versions.map((c) => c.spec.version).sort(semver.compare).join(", ") || "none";
    at(["version"], `no version of Component "${entry.component}" matches "${entry.version}"${narrowed.join("")} on cluster ${cluster.metadata.name} (available: ${avail})`);
    return undefined;
  }
  const identity = {
    application: app.metadata.name,
    cluster: { name: cluster.metadata.name, labels: { ...(cluster.metadata.labels ?? {}) } },
    component: { name: component.metadata.name, version: component.spec.version, entry: entry.name },
  };

  if (external || !("workload" in component.spec)) {
    return {
      ...base,
      component: { name: component.metadata.name, version: component.spec.version },
      chart: { name: EXTERNAL_CHART.name, version: EXTERNAL_CHART.version },
      values: deepMerge(identity, { external: { ...external } }),
      requires: [],
      upgrades: [],
      workloadKind: "External",
      external: { ...external! },
    };
  }
  const comp = component as Component;
  return resolveGenerated(o, comp, versions, { ...base, component: { name: comp.metadata.name, version: comp.spec.version } }, identity, patches);
}

/** What every release of an entry has, whatever its chart: names, namespace, dependencies, Project, adoption. */
function releaseBase(o: ResolveOptions): Omit<ReleaseSpec, "chart" | "values" | "upgrades" | "requires" | "workloadKind" | "component"> {
  const { repo, app, cluster, entry } = o;
  const base: Omit<ReleaseSpec, "chart" | "values" | "upgrades" | "requires" | "workloadKind" | "component"> = {
    name: releaseName(app.metadata.name, entry.name),
    cluster: cluster.metadata.name,
    application: app.metadata.name,
    entry: entry.name,
    namespace: app.spec.namespace,
    dependsOn: (entry.dependsOn ?? []).map((d) => releaseName(app.metadata.name, d)).sort(),
    ...(entry.adopt !== undefined ? { adopt: entry.adopt } : {}),
    ...(entry.crds !== undefined ? { crds: entry.crds } : {}),
  };
  // the entry's own word wins over its Application's (`suspended: false` on one entry of a suspended Application)
  const suspended = entry.suspended ?? app.spec.suspended;
  if (suspended) {
    const field = entry.suspended !== undefined ? ["spec", "components", o.index, "suspended"] : ["spec", "suspended"];
    base.suspended = `${where(app.origin, field)} ${formatPath(field)}`;
  }
  // validation has already refused an unknown project; a release without one keeps today's shape
  const project = repo.projects.find((p) => p.metadata.name === app.spec.project);
  if (app.spec.project !== undefined && project) base.project = releaseProject(project);
  return base;
}

/** An entry running a generated Component: its workload's chart, traits and values layout. */
function resolveGenerated(
  o: ResolveOptions,
  component: Component,
  versions: Component[],
  base: Omit<ReleaseSpec, "chart" | "values" | "upgrades" | "requires" | "workloadKind">,
  identity: JsonObject,
  patches: { ov: Overlay; patch: OverlayComponentPatch }[],
): ReleaseSpec | undefined {
  const { repo, app, entry } = o;
  const at = (path: (string | number)[], message: string) => {
    const p = ["spec", "components", o.index, ...path];
    o.issues.push({ file: app.origin.file, ...app.origin.pos(p), path: formatPath(p), message });
  };
  const workload = repo.workloads.find((w) => w.metadata.name === component.spec.workload);
  if (!workload) {
    o.issues.push({
      file: component.origin.file,
      ...component.origin.pos(["spec", "workload"]),
      path: "spec.workload",
      message: `unknown workload "${component.spec.workload}" (known: ${repo.workloads.map((w) => w.metadata.name).sort().join(", ")})`,
    });
    return undefined;
  }
  const traits = traitsFor(workload.metadata.name, repo.traits);
  let values = chartDefaults(workload, traits);
  values = deepMerge(values, identity);
  values = deepMerge(values, componentLayer(component));
  const writes = o.writes;
  if (writes) {
    if (workload.spec.defaults) writes.push({ at: [], value: workload.spec.defaults, origin: workload.origin, field: ["spec", "defaults"], layer: { kind: "WorkloadDefinition", name: workload.metadata.name } });
    writes.push(...componentWrites(component));
  }
  const layers: { traits?: TraitValues; replicas?: number; config?: JsonObject; values?: JsonObject; origin: Origin; at: (string | number)[]; layer: ValueLayer }[] = [
    { ...entry, origin: app.origin, at: ["spec", "components", o.index], layer: { kind: "Application", name: app.metadata.name } },
    ...patches.map((p) => ({ ...p.patch, origin: p.ov.origin, at: ["spec", "components", entry.name], layer: { kind: "Overlay" as const, name: p.ov.metadata.name } })),
  ];
  for (const [n, layer] of layers.entries()) {
    const wrote = (valuesAt: (string | number)[], value: unknown, field: (string | number)[]) =>
      writes?.push({ at: valuesAt, value, origin: layer.origin, field: [...layer.at, ...field], layer: layer.layer });
    if (layer.replicas !== undefined) {
      values = deepMerge(values, { replicas: layer.replicas });
      wrote(["replicas"], layer.replicas, ["replicas"]);
    }
    if (layer.config) {
      values = deepMerge(values, { config: { data: layer.config } });
      wrote(["config", "data"], layer.config, ["config"]);
    }
    for (const [name, v] of Object.entries(layer.traits ?? {})) {
      const def = traits.find((t) => t.metadata.name === name);
      if (!def) {
        const where = n === 0 ? "" : ` (overlay ${patches[n - 1]?.ov.metadata.name})`;
        at(["traits", name], `trait "${name}"${where} does not apply to workload ${workload.metadata.name} (applicable: ${traits.map((t) => t.metadata.name).join(", ")})`);
        continue;
      }
      values = applyTrait(values, def, v);
      // a list trait written as one object is its list's only item
      const listAt = isPlainObject(v) ? ["traits", name, "items", 0] : ["traits", name, "items"];
      wrote(isListTrait(def) && typeof v !== "boolean" ? listAt : ["traits", name], v, ["traits", name]);
    }
    if (layer.values) {
      values = deepMerge(values, layer.values);
      wrote([], layer.values, ["values"]);
    }
  }
  const named = new Set(layers.flatMap((l) => [...Object.keys(l.traits ?? {}), ...Object.keys(isPlainObject(l.values?.traits) ? l.values.traits : {})]));
  values = fillTraitDefaults(switchOnByDefault(values, traits, named), traits);

  const steps = declaredSteps(versions, component.spec.version);
  return {
    ...base,
    chart: { name: workload.metadata.name, version: workload.spec.version },
    values,
    requires: Object.entries(component.spec.requires ?? {})
      .map(([c, range]) => ({ component: c, range }))
      .sort((a, b) => cmp(a.component, b.component)),
    upgrades: upgradeSteps(steps),
    workloadKind: workload.spec.workloadKind,
    declared: {
      requires: Object.fromEntries(Object.keys(component.spec.requires ?? {}).map((c) => [c, declaredAt(component, ["spec", "requires", c])])),
      upgrades: Object.fromEntries([...steps].map(([k, { at }]) => [k, at])),
    },
  };
}

/**
 * A Project as the runtime checks and impersonates it. The groups are those
 * the API server gives a ServiceAccount's token, so RBAC bound to any of them
 * applies as it would to the ServiceAccount itself.
 */
export function releaseProject(p: Project): ReleaseProject {
  const out: ReleaseProject = {
    name: p.metadata.name,
    namespaces: [...p.spec.namespaces],
    clusterScoped: [...(p.spec.clusterScoped ?? [])].sort(),
  };
  const sa = p.spec.impersonate;
  if (sa) {
    out.impersonate = {
      user: `system:serviceaccount:${sa.namespace}:${sa.serviceAccount}`,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${sa.namespace}`, "system:authenticated"],
    };
  }
  return out;
}

function componentLayer(c: Component): JsonObject {
  const k = c.spec.container;
  const layer: JsonObject = { image: { repository: k.image, tag: k.tag ?? c.spec.version, ...(k.imagePullPolicy ? { pullPolicy: k.imagePullPolicy } : {}) } };
  if (k.command) layer.command = [...k.command];
  if (k.args) layer.args = [...k.args];
  if (k.env) layer.env = { ...k.env };
  if (k.ports) layer.ports = clone(k.ports);
  if (k.resources) layer.resources = clone(k.resources);
  if (k.securityContext) layer.securityContext = clone(k.securityContext);
  if (k.health) layer.probes = clone(k.health);
  if (c.spec.config) {
    layer.config = {
      data: schemaDefaults(c.spec.config.schema) ?? {},
      mountPath: c.spec.config.mountPath ?? `/etc/${c.metadata.name}/config.yaml`,
    };
  }
  return layer;
}

/** What componentLayer sets, each at the Component field it comes from. */
function componentWrites(c: Component): ValueWrite[] {
  const k = c.spec.container;
  const layer: ValueLayer = { kind: "Component", name: `${c.metadata.name}@${c.spec.version}` };
  const w = (at: (string | number)[], value: unknown, field: (string | number)[]): ValueWrite => ({ at, value, origin: c.origin, field, layer });
  const out = [
    w(["image", "repository"], k.image, ["spec", "container", "image"]),
    w(["image", "tag"], k.tag ?? c.spec.version, k.tag !== undefined ? ["spec", "container", "tag"] : ["spec", "version"]),
  ];
  if (k.imagePullPolicy !== undefined) out.push(w(["image", "pullPolicy"], k.imagePullPolicy, ["spec", "container", "imagePullPolicy"]));
  for (const key of ["command", "args", "env", "ports", "resources", "securityContext"] as const) {
    if (k[key] !== undefined) out.push(w([key], k[key], ["spec", "container", key]));
  }
  if (k.health) out.push(w(["probes"], k.health, ["spec", "container", "health"]));
  if (c.spec.config) {
    out.push(w(["config", "data"], schemaDefaults(c.spec.config.schema) ?? {}, ["spec", "config", "schema"]));
    out.push(w(["config", "mountPath"], c.spec.config.mountPath, ["spec", "config", c.spec.config.mountPath !== undefined ? "mountPath" : "schema"]));
  }
  return out;
}

/**
 * One layer's value for a trait: `false` off, a list replaces, an object
 * merges; a list trait given one object (`sidecar: { name, image }`) takes
 * it as a list of one, replacing the list as any list does.
 */
export function applyTrait(values: JsonObject, def: TraitDefinition, v: unknown): JsonObject {
  const name = def.metadata.name;
  const traits = (values.traits as JsonObject | undefined) ?? {};
  const prev = isPlainObject(traits[name]) ? (traits[name] as JsonObject) : { enabled: false };
  let next: JsonObject;
  if (v === false) next = { enabled: false };
  else if (Array.isArray(v) || isListTrait(def)) next = { enabled: true, items: clone(Array.isArray(v) ? v : isPlainObject(v) ? [v] : []) };
  else if (isPlainObject(v)) next = deepMerge(prev.enabled === true ? prev : {}, { ...clone(v), enabled: true });
  else next = { ...prev, enabled: true };
  return { ...values, traits: { ...traits, [name]: next } };
}

/** Traits whose definition says `defaultOn`, on where no layer named them and a condition holds (a PodDisruptionBudget for 2+ replicas). */
export function switchOnByDefault(values: JsonObject, traits: TraitDefinition[], named: ReadonlySet<string>): JsonObject {
  const all = { ...(values.traits as JsonObject) };
  const on = (name: string) => isPlainObject(all[name]) && (all[name] as JsonObject).enabled === true;
  for (const t of traits) {
    const when = t.spec.defaultOn;
    if (!when || named.has(t.metadata.name) || on(t.metadata.name)) continue;
    const replicas = typeof values.replicas === "number" ? values.replicas : 1;
    if ((when.replicasAtLeast !== undefined && replicas >= when.replicasAtLeast) || (when.withTraits ?? []).some(on)) all[t.metadata.name] = { enabled: true };
  }
  return { ...values, traits: all };
}

function fillTraitDefaults(values: JsonObject, traits: TraitDefinition[]): JsonObject {
  const all = { ...(values.traits as JsonObject) };
  for (const t of traits) {
    const cur = all[t.metadata.name] as JsonObject | undefined;
    if (!cur?.enabled || isListTrait(t)) continue;
    all[t.metadata.name] = deepMerge(schemaDefaults(t.spec.schema) ?? {}, cur);
  }
  return { ...values, traits: all };
}

/** The `default`s a JSON Schema declares, nested through object properties. */
export function schemaDefaults(schema: JsonSchema | undefined): JsonObject | undefined {
  if (!schema) return undefined;
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!props) return isPlainObject(schema.default) ? clone(schema.default) : undefined;
  const out: JsonObject = isPlainObject(schema.default) ? clone(schema.default) : {};
  for (const [k, s] of Object.entries(props)) {
    if (s.default !== undefined && !isPlainObject(s.default)) out[k] = clone(s.default);
    else {
      const d = schemaDefaults(s);
      if (d && Object.keys(d).length > 0) out[k] = d;
    }
  }
  return out;
}

/** Every step declared by versions of the component up to `picked`, with the Component that declares it. */
function declaredSteps(versions: Component[], picked: string): Map<string, { step: UpgradeStep; at: string }> {
  const seen = new Map<string, { step: UpgradeStep; at: string }>();
  for (const c of versions) {
    if (semver.gt(c.spec.version, picked)) continue;
    (c.spec.upgrades ?? []).forEach((s, i) => {
      if (!semver.valid(s.to) || semver.gt(s.to, picked)) return;
      seen.set(stepKey(s), { step: s, at: declaredAt(c, ["spec", "upgrades", i, "from"]) });
    });
  }
  return seen;
}

/** The declared steps as the release carries them, sorted by `to`. */
function upgradeSteps(steps: ReturnType<typeof declaredSteps>): UpgradeStep[] {
  return [...steps.values()]
    .map(({ step }) => clone(step))
    .sort((a, b) => semver.compare(a.to, b.to) || cmp(a.from, b.from));
}

const declaredAt = (c: Component, path: (string | number)[]) => `${where(c.origin, path)} ${formatPath(path)}`;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: { metadata: { name: string } }, b: { metadata: { name: string } }) => cmp(a.metadata.name, b.metadata.name);
