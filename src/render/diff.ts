// What changed between two renders: charts (file diffs), releases added or
// removed, values per release (flattened key paths), version moves and the
// upgrade or rollback steps they would run, and edits to the declared upgrade
// steps themselves, and releases whose generated chart's files changed. Pure;
// formatting is diff-format.ts; the objects of the rendered manifests
// (manifest-diff.ts) are added by the CLI, which runs helm.
import semver from "semver";
import { stepKey, type ReleaseSpec, type StepSpec, type UpgradeStep } from "../model/types.ts";
import { unifiedDiff } from "./line-diff.ts";
import type { ReleaseObjects } from "./manifest-diff.ts";
import { releaseMeta, type Rendered } from "./output.ts";
import { isPlainObject } from "./merge.ts";
import type { ExplainedRange, ValueSource } from "./explain.ts";
import type { RolloutOrder } from "./diff-rollout.ts";

export type Change = "added" | "removed" | "changed";

export interface FileChange {
  path: string;
  change: Change;
  patch: string; // unified hunks
}

export interface ChartChange {
  name: string;
  change: Change;
  from?: string; // chart versions
  to?: string;
  files: FileChange[];
}

export interface KeyChange {
  path: string;
  change: Change;
  from?: unknown;
  to?: unknown;
  /** Who sets the value now (who set it, when removed): added by annotateSources (diff-sources.ts). */
  source?: ValueSource;
}

/** A version range that took part in a move: edited (`was` its old text), added or removed; none when a new version came inside it. */
export interface RangeChange extends ExplainedRange {
  change?: Change;
  was?: string;
}

export interface StepRun {
  kind: "run" | "rollback";
  from: string; // the step's declared range
  to: string;
  step: StepSpec;
}

/** A declared upgrade step (by from/to) added, removed or edited between the two renders. */
export interface StepChange {
  change: Change;
  from: string; // the step's declared range
  to: string;
  /** What changed inside the step (`run.args`, `rollback.image`, ...); empty unless `changed`. */
  fields: KeyChange[];
}

export interface ReleaseChange {
  key: string; // <cluster>/<application>/<entry>
  name: string;
  cluster: string;
  change: Change;
  chart: { from?: string; to?: string }; // "<name> <version>"
  version: {
    from?: string;
    to?: string;
    move: "upgrade" | "downgrade" | "none";
    /** For a move: the ranges edited to make it, or the ranges the new pick is the highest inside (diff-sources.ts). */
    by?: RangeChange[];
  };
  steps: StepRun[];
  /** Declared upgrade steps edited, added or removed (not those a version move brings in or leaves behind). */
  upgrades: StepChange[];
  /** Changes of the release's metadata (namespace, dependsOn, requires, ...). */
  release: KeyChange[];
  values: KeyChange[];
  /** The release's generated chart (same name and version on both sides) has different files. */
  chartFiles: boolean;
  /** The Kubernetes objects of both sides' manifests compared (absent: not compared, e.g. `--no-manifests`). */
  objects?: ReleaseObjects;
}

export interface RenderDiff {
  charts: ChartChange[];
  releases: ReleaseChange[];
  /** The head's rollout order of the applications changed (diff-rollout.ts): added by the CLI, for the markdown view. */
  rollout?: RolloutOrder[];
}

export const hasChanges = (d: RenderDiff) => d.charts.length > 0 || d.releases.length > 0;

export function diffRendered(base: Rendered, head: Rendered): RenderDiff {
  const charts = diffCharts(base, head);
  const edited = new Set(charts.filter((c) => c.change === "changed" && c.from === c.to).map((c) => `${c.name} ${c.to}`));
  return { charts, releases: diffReleases(base.releases, head.releases, edited) };
}

function diffCharts(base: Rendered, head: Rendered): ChartChange[] {
  const names = [...new Set([...base.charts, ...head.charts].map((c) => c.name))].sort();
  const out: ChartChange[] = [];
  for (const name of names) {
    const a = base.charts.find((c) => c.name === name);
    const b = head.charts.find((c) => c.name === name);
    const paths = [...new Set([...Object.keys(a?.files ?? {}), ...Object.keys(b?.files ?? {})])].sort();
    const files: FileChange[] = [];
    for (const path of paths) {
      const x = a?.files[path];
      const y = b?.files[path];
      if (x === y) continue;
      files.push({ path, change: x === undefined ? "added" : y === undefined ? "removed" : "changed", patch: unifiedDiff(x ?? "", y ?? "") });
    }
    if (files.length === 0) continue;
    out.push({ name, change: !a ? "added" : !b ? "removed" : "changed", from: a?.version, to: b?.version, files });
  }
  return out;
}

/** `<cluster>/<application>/<entry>`: what matches a release across the two renders. */
export const releaseKey = (r: Pick<ReleaseSpec, "cluster" | "application" | "entry">) => `${r.cluster}/${r.application}/${r.entry}`;
const keyOf = releaseKey;

/** `editedCharts`: "<name> <version>" of the generated charts whose files differ at the same version. */
function diffReleases(base: ReleaseSpec[], head: ReleaseSpec[], editedCharts: Set<string>): ReleaseChange[] {
  const a = new Map(base.map((r) => [keyOf(r), r]));
  const b = new Map(head.map((r) => [keyOf(r), r]));
  const out: ReleaseChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(key);
    const y = b.get(key);
    const any = (y ?? x) as ReleaseSpec;
    const values = diffKeys(x?.values ?? {}, y?.values ?? {});
    const release = diffKeys(x ? meta(x) : {}, y ? meta(y) : {});
    const upgrades = x && y ? diffUpgrades(x, y) : [];
    const chartFiles = !!(x && y && !y.chart.source && x.chart.name === y.chart.name && x.chart.version === y.chart.version && editedCharts.has(`${y.chart.name} ${y.chart.version}`));
    if (x && y && values.length === 0 && release.length === 0 && upgrades.length === 0 && !chartFiles) continue;
    const from = x?.component.version;
    const to = y?.component.version;
    const move = from && to && from !== to ? (semver.gt(to, from) ? "upgrade" : "downgrade") : "none";
    out.push({
      key,
      name: any.name,
      cluster: any.cluster,
      change: !x ? "added" : !y ? "removed" : "changed",
      chart: { from: x && `${x.chart.name} ${x.chart.version}`, to: y && `${y.chart.name} ${y.chart.version}` },
      version: { from, to, move },
      steps: x && y ? stepsFor(x, y, move) : [],
      upgrades,
      release,
      values,
      chartFiles,
    });
  }
  return out;
}

/**
 * Whether the release's manifests can differ: it is added or removed, or what
 * `helm template` reads changed (chart, its files, values, name, namespace).
 * An edit of upgrade steps, dependsOn or requires alone needs no helm call.
 */
export function manifestsMayDiffer(r: ReleaseChange): boolean {
  if (r.change !== "changed" || r.values.length > 0 || r.chartFiles) return true;
  return r.release.some((k) => k.path === "name" || k.path === "namespace" || k.path === "chart" || k.path.startsWith("chart.") || k.path.startsWith("external"));
}

function meta(r: ReleaseSpec): Record<string, unknown> {
  const m = releaseMeta(r) as Record<string, unknown>;
  delete m.upgrades; // shown as steps
  return m;
}

/** Upgrade: the head's steps on the path base -> head. Downgrade: the base's rollback steps, newest first. */
export function stepsFor(x: ReleaseSpec, y: ReleaseSpec, move: "upgrade" | "downgrade" | "none"): StepRun[] {
  const opt = { includePrerelease: true };
  if (move === "upgrade") {
    const runs: StepRun[] = [];
    let cur = x.component.version;
    for (const s of y.upgrades) {
      if (semver.gt(s.to, cur) && semver.lte(s.to, y.component.version) && semver.satisfies(cur, s.from, opt)) {
        runs.push({ kind: "run", from: s.from, to: s.to, step: s.run });
        cur = s.to;
      }
    }
    return runs;
  }
  if (move === "downgrade") {
    return [...x.upgrades]
      .reverse()
      .filter((s) => s.rollback && semver.lte(s.to, x.component.version) && semver.gt(s.to, y.component.version))
      .map((s) => ({ kind: "rollback", from: s.from, to: s.to, step: s.rollback as StepSpec }));
  }
  return [];
}

const stepBody = (s: UpgradeStep) => ({ run: s.run, ...(s.rollback ? { rollback: s.rollback } : {}) });

/**
 * The declared steps of `x` and `y` compared by from/to. A step that only
 * comes into view because the version moved up to (or away below) its `to`
 * is the move's business, shown in `steps`, not here.
 */
export function diffUpgrades(x: ReleaseSpec, y: ReleaseSpec): StepChange[] {
  const a = new Map(x.upgrades.map((s) => [stepKey(s), s]));
  const b = new Map(y.upgrades.map((s) => [stepKey(s), s]));
  const out: StepChange[] = [];
  for (const s of y.upgrades) {
    const old = a.get(stepKey(s));
    if (old) {
      const fields = diffKeys(stepBody(old), stepBody(s));
      if (fields.length) out.push({ change: "changed", from: s.from, to: s.to, fields });
    } else if (!semver.gt(s.to, x.component.version)) out.push({ change: "added", from: s.from, to: s.to, fields: [] });
  }
  for (const s of x.upgrades) {
    if (!b.has(stepKey(s)) && !semver.gt(s.to, y.component.version)) out.push({ change: "removed", from: s.from, to: s.to, fields: [] });
  }
  return out.sort((p, q) => semver.compare(p.to, q.to) || (p.from < q.from ? -1 : p.from > q.from ? 1 : 0));
}

/** Flattened key paths of two JSON values; arrays compare as a whole. */
export function diffKeys(a: unknown, b: unknown, path = ""): KeyChange[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffKeys(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (a === undefined && b === undefined) return [];
  if (a === undefined) return leaves(b, path).map(([p, v]) => ({ path: p, change: "added", to: v }));
  if (b === undefined) return leaves(a, path).map(([p, v]) => ({ path: p, change: "removed", from: v }));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, change: "changed", from: a, to: b }];
}

function leaves(v: unknown, path: string): [string, unknown][] {
  if (isPlainObject(v) && Object.keys(v).length > 0) {
    return Object.keys(v).sort().flatMap((k) => leaves(v[k], path ? `${path}.${k}` : k));
  }
  return [[path, v]];
}
