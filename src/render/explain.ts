// Where every value of a release came from. Pure. resolveRelease records each
// layer's writes (WorkloadDefinition defaults < Component < Application entry
// < Overlays in name order); a leaf of the merged values is set by the last
// write that reaches it, and overrides the writes below it that reached it too.
// A leaf no layer wrote is berth's own: the release's identity, a trait's
// schema default or `defaultOn`, or the generated chart's values layout.
// Nothing here enters the release, its digest or the rendered output.
import semver from "semver";
import { where } from "../model/issue.ts";
import { formatPath } from "../model/origin.ts";
import { offeredVersions } from "../model/rules/context.ts";
import { pickVersion, releaseName } from "../model/select.ts";
import type { Origin, ReleaseSpec, Repo } from "../model/types.ts";
import type { Issue } from "../errors.ts";
import { isPlainObject } from "./merge.ts";
import { releaseInputs, resolveRelease, type ResolveOptions, type ValueLayer, type ValueWrite } from "./resolve.ts";
import { reach } from "./values-check.ts";

type Path = (string | number)[];

/** Who set a value: a layer of git (with its file:line and field) or berth itself. */
export interface ValueSource {
  kind: ValueLayer["kind"] | "TraitDefinition" | "berth";
  name: string;
  /** `file:line:col`; absent for berth's own values. */
  at?: string;
  /** The field inside that document, e.g. `spec.components.api.replicas`. */
  field?: string;
}

export interface ExplainedValue {
  /** The values path, e.g. `traits.ingress.host`; lists are one value (they replace, never merge). */
  path: string;
  value: unknown;
  source: ValueSource;
  /** Lower layers that set this path too, highest first, with what they set. */
  overrode: (ValueSource & { value: unknown })[];
}

export interface ExplainedRange {
  range: string;
  source: ValueSource;
  /** What this range did to the pick: without it berth would pick a higher (`narrowed`) or lower (`widened`) version. */
  effect: "narrowed" | "widened" | "none";
}

export interface ReleaseExplanation {
  release: string;
  cluster: string;
  application: string;
  entry: string;
  chart: { name: string; version: string };
  /** Why the chart's version is not known (its source could not be read): the values are still explained. */
  unavailable?: string;
  /** The version picked: the highest of `available` inside every range. */
  version: { picked: string; available: string[]; ranges: ExplainedRange[] };
  values: ExplainedValue[];
}

export interface ExplainTarget {
  cluster: string;
  /** The release name (`shop-api`) or `application/entry` (`shop/api`). */
  release: string;
}

/** The explanation of one release, or undefined when the repository has no such release on that cluster. */
export function explainRelease(repo: Repo, t: ExplainTarget): ReleaseExplanation | undefined {
  const x = explainLeaves(repo, t);
  return x && { ...x.explanation, values: x.leaves.map((l) => l.explained) };
}

/** The explanation with each value's path as segments (`berth diff` matches its flattened keys by them). */
export function explainLeaves(repo: Repo, t: ExplainTarget): { explanation: Omit<ReleaseExplanation, "values">; leaves: { key: Path; explained: ExplainedValue }[] } | undefined {
  for (const input of releaseInputs(repo)) {
    if (input.cluster.metadata.name !== t.cluster) continue;
    const name = releaseName(input.app.metadata.name, input.entry.name);
    if (t.release !== name && t.release !== `${input.app.metadata.name}/${input.entry.name}`) continue;
    const writes: ValueWrite[] = [];
    const issues: Issue[] = [];
    const r = resolveRelease({ ...input, repo, issues, writes });
    if (!r) return undefined;
    return {
      explanation: {
        release: r.name,
        cluster: r.cluster,
        application: r.application,
        entry: r.entry,
        chart: { name: r.chart.name, version: r.chart.version },
        ...(r.unavailable ? { unavailable: r.unavailable } : {}),
        version: explainVersion(repo, { ...input, repo, issues }, r),
      },
      leaves: explainValues(r, writes, repo),
    };
  }
  return undefined;
}

/** The releases `explainRelease` could explain on a cluster (for a helpful "no such release"). */
export function releaseNamesOn(repo: Repo, cluster: string): string[] {
  const out: string[] = [];
  for (const i of releaseInputs(repo)) if (i.cluster.metadata.name === cluster) out.push(releaseName(i.app.metadata.name, i.entry.name));
  return out.sort();
}

const sourceOf = (layer: ValueLayer | { kind: "TraitDefinition"; name: string }, origin: Origin, field: Path): ValueSource => ({
  kind: layer.kind,
  name: layer.name,
  at: where(origin, field),
  field: formatPath(field),
});

/** Every leaf of the release's values with the write that set it and those it overrode. */
export function explainValues(r: Pick<ReleaseSpec, "values" | "chart">, writes: readonly ValueWrite[], repo?: Pick<Repo, "traits">): { key: Path; explained: ExplainedValue }[] {
  const out: { key: Path; explained: ExplainedValue }[] = [];
  for (const [path, value] of leaves(r.values, [])) {
    const setters = writes.filter((w) => sets(w, path, value));
    const top = setters[setters.length - 1];
    const fieldFor = (w: ValueWrite) => fieldAt(w, path);
    out.push({
      key: path,
      explained: {
        path: formatPath(path),
        value,
        source: top ? sourceOf(top.layer, top.origin, fieldFor(top)) : berthsOwn(path, value, r, repo),
        overrode: setters
          .slice(0, -1)
          .reverse()
          .map((w) => ({ ...sourceOf(w.layer, w.origin, fieldFor(w)), value: valueIn(w, path) })),
      },
    });
  }
  return out;
}

/**
 * Whether write `w` sets the leaf `path`: it reaches all the way down; or it
 * names the trait whose `enabled` this is (a layer naming a trait switches it
 * on, `false` off); or the leaf is a list holding the item `w` wrote (a list
 * trait written as one object).
 */
function sets(w: ValueWrite, path: Path, value: unknown): boolean {
  if (namesTrait(w, path)) return true;
  if (reach(w, path).depth === path.length) return true;
  return Array.isArray(value) && w.at.length > path.length && path.every((p, i) => w.at[i] === p);
}

/** `path` is `traits.<name>.enabled` and `w` is a layer's `traits.<name>` (an object, a list, or true/false). */
const namesTrait = (w: ValueWrite, path: Path): boolean =>
  path.length === 3 && path[0] === "traits" && path[2] === "enabled" && w.at.length >= 2 && w.at[0] === "traits" && w.at[1] === path[1];

/** The document field a write set the leaf from. */
function fieldAt(w: ValueWrite, path: Path): Path {
  if (w.at.length >= path.length || namesTrait(w, path)) return w.field;
  return w.at.every((seg, i) => path[i] === seg) ? [...w.field, ...path.slice(w.at.length)] : w.field;
}

function valueIn(w: ValueWrite, path: Path): unknown {
  if (namesTrait(w, path)) return w.value !== false;
  if (w.at.length >= path.length) return w.value;
  let cur: unknown = w.value;
  for (const k of path.slice(w.at.length)) cur = isPlainObject(cur) ? cur[k as string] : undefined;
  return cur;
}

const IDENTITY = new Set(["application", "cluster", "component"]);

/** A value no layer of git wrote. */
function berthsOwn(path: Path, value: unknown, r: Pick<ReleaseSpec, "chart">, repo?: Pick<Repo, "traits">): ValueSource {
  if (typeof path[0] === "string" && IDENTITY.has(path[0])) return { kind: "berth", name: "the release's identity (cluster, application, component)" };
  if (path[0] === "traits" && typeof path[1] === "string") {
    const def = repo?.traits.find((t) => t.metadata.name === path[1]);
    if (def && path[2] === "enabled" && value === true && def.spec.defaultOn) {
      return sourceOf({ kind: "TraitDefinition", name: def.metadata.name }, def.origin, ["spec", "defaultOn"]);
    }
    if (def && path[2] !== "enabled") {
      const field = ["spec", "schema", ...path.slice(2).flatMap((k) => ["properties", k]), "default"];
      return sourceOf({ kind: "TraitDefinition", name: def.metadata.name }, def.origin, field);
    }
  }
  return { kind: "berth", name: `the default values of chart ${r.chart.name} ${r.chart.version}` };
}

/** Leaves of a values tree: scalars, lists (whole) and empty mappings. */
function leaves(v: unknown, path: Path): [Path, unknown][] {
  if (isPlainObject(v) && Object.keys(v).length > 0) return Object.keys(v).sort().flatMap((k) => leaves(v[k], [...path, k]));
  return [[path, v]];
}

/** Each range that took part in picking the version, and what it did to the pick. */
export function explainVersion(repo: Repo, o: Omit<ResolveOptions, "writes">, r: Pick<ReleaseSpec, "component">): ReleaseExplanation["version"] {
  const { app, entry } = o;
  const patches = o.overlays.filter((ov) => ov.spec.components[entry.name]?.version !== undefined);
  const ranges: { range: string; source: ValueSource }[] = [
    { range: entry.version, source: sourceOf({ kind: "Application", name: app.metadata.name }, app.origin, ["spec", "components", o.index, "version"]) },
    ...patches.map((ov) => ({
      range: ov.spec.components[entry.name]!.version!,
      source: sourceOf({ kind: "Overlay", name: ov.metadata.name }, ov.origin, ["spec", "components", entry.name, "version"]),
    })),
  ];
  const chart = repo.charts.find((c) => c.metadata.name === entry.component);
  if (chart?.spec.chart.versions) {
    ranges.unshift({ range: chart.spec.chart.versions, source: sourceOf({ kind: "Component", name: chart.metadata.name }, chart.origin, ["spec", "chart", "versions"]) });
  }
  const versions = chart ? (offeredVersions(chart) ?? []) : repo.components.filter((c) => c.metadata.name === entry.component).map((c) => c.spec.version);
  const all = ranges.map((x) => x.range);
  const picked = r.component.version;
  return {
    picked,
    available: semver.sort(versions.filter((v) => semver.valid(v))),
    ranges: ranges.map((x, i) => {
      const without = pickVersion(versions, all.filter((_, j) => j !== i));
      // without it nothing (or something lower) is picked: it let the version in (a prerelease, say)
      const effect = !versions.includes(picked) || without === picked ? "none" : without === undefined || semver.lt(without, picked) ? "widened" : "narrowed";
      return { ...x, effect };
    }),
  };
}
