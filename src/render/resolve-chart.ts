// Resolution of an entry that runs a third-party chart. Pure, like resolve.ts:
// the versions the source offers and what the loader read of the picked one
// (digest, defaults, schema) arrive on the Repo. Values: Component `values` <
// Application entry `values` < Overlay `values`, maps merged, lists replaced;
// nothing of berth's own layout is added (the chart does not know it).
import semver from "semver";
import { where } from "../model/issue.ts";
import { formatPath } from "../model/origin.ts";
import { chartPick, offeredVersions } from "../model/rules/context.ts";
import { chartPinKey, stepKey } from "../model/types.ts";
import type { ChartComponent, ChartIdentity, JsonObject, Overlay, OverlayComponentPatch, ReleaseSpec, UpgradeStep } from "../model/types.ts";
import { clone, deepMerge } from "./merge.ts";
import type { ResolveOptions, ValueWrite } from "./resolve.ts";

type Base = Omit<ReleaseSpec, "chart" | "values" | "upgrades" | "requires" | "workloadKind" | "component">;

export function resolveChartRelease(
  o: ResolveOptions,
  chart: ChartComponent,
  base: Base,
  patches: { ov: Overlay; patch: OverlayComponentPatch }[],
): ReleaseSpec | undefined {
  const { entry } = o;
  const ch = chart.spec.chart;
  const source: NonNullable<ChartIdentity["source"]> = ch.path !== undefined ? { path: ch.path } : { repository: ch.repository!, url: "" };
  // a chart from a path is named by its Chart.yaml, which the loader read
  const gitPin = "path" in source ? o.repo.chartPins?.get(chartPinKey(source, "", "")) : undefined;
  const chartName = (gitPin && "chart" in gitPin ? gitPin.chart : undefined) ?? ch.name ?? chart.metadata.name;
  const ranges = [entry.version, ...patches.flatMap((p) => (p.patch.version ? [p.patch.version] : []))];
  const offered = chart.offered;

  const values = layers(o, chart, patches);
  const common = {
    ...base,
    values,
    requires: Object.entries(chart.spec.requires ?? {})
      .map(([c, range]) => ({ component: c, range }))
      .sort((a, b) => (a.component < b.component ? -1 : a.component > b.component ? 1 : 0)),
    workloadKind: "Chart" as const,
  };
  const unavailable = (why: string): ReleaseSpec => ({
    ...common,
    chart: { name: chartName, version: "0.0.0", source },
    component: { name: chart.metadata.name, version: "0.0.0" },
    upgrades: [],
    unavailable: why,
  });
  if (!offered) return unavailable(`the versions of chart ${chartName} were not read (berth ran without chart sources)`);
  if ("unavailable" in offered) return unavailable(offered.unavailable);

  const picked = chartPick(chart, ranges);
  const v = offered.versions.find((x) => x.version === picked);
  if (!picked || !v) {
    const p = ["spec", "components", o.index, "version"];
    const avail = semver.rsort([...(offeredVersions(chart) ?? [])]).slice(0, 12).join(", ") || "none";
    o.issues.push({ file: o.app.origin.file, ...o.app.origin.pos(p), path: formatPath(p), message: `no version of chart component "${chart.metadata.name}" matches ${ranges.map((r) => `"${r}"`).join(" and ")}${ch.versions ? ` inside its versions "${ch.versions}"` : ""} on cluster ${o.cluster.metadata.name} (available: ${avail})` });
    return undefined;
  }
  if ("repository" in source && v.url) source.url = v.url;
  const pin = o.repo.chartPins?.get(chartPinKey(source, chartName, picked));
  if (pin && "unavailable" in pin) return { ...unavailable(pin.unavailable), chart: { name: chartName, version: picked, source }, component: { name: chart.metadata.name, version: picked } };
  const digest = pin?.digest ?? v.digest;

  const steps = chartSteps(chart, picked);
  return {
    ...common,
    chart: { name: chartName, version: picked, source, ...(digest ? { digest } : {}) },
    component: { name: chart.metadata.name, version: picked },
    upgrades: steps.map((s) => clone(s.step)),
    declared: {
      requires: Object.fromEntries(Object.keys(chart.spec.requires ?? {}).map((c) => [c, at(chart, ["spec", "requires", c])])),
      upgrades: Object.fromEntries(steps.map((s) => [stepKey(s.step), s.at])),
    },
  };
}

/** The merged values, recording each layer's write for the values check. */
function layers(o: ResolveOptions, chart: ChartComponent, patches: { ov: Overlay; patch: OverlayComponentPatch }[]): JsonObject {
  const all: { values?: JsonObject; write: Omit<ValueWrite, "value" | "at"> }[] = [
    { ...(chart.spec.values ? { values: chart.spec.values } : {}), write: { origin: chart.origin, field: ["spec", "values"], layer: { kind: "Component", name: chart.metadata.name } } },
    { ...(o.entry.values ? { values: o.entry.values } : {}), write: { origin: o.app.origin, field: ["spec", "components", o.index, "values"], layer: { kind: "Application", name: o.app.metadata.name } } },
    ...patches.map((p) => ({
      ...(p.patch.values ? { values: p.patch.values } : {}),
      write: { origin: p.ov.origin, field: ["spec", "components", o.entry.name, "values"], layer: { kind: "Overlay" as const, name: p.ov.metadata.name } },
    })),
  ];
  let values: JsonObject = {};
  for (const l of all) {
    if (!l.values) continue;
    values = deepMerge(values, l.values);
    o.writes?.push({ ...l.write, at: [], value: l.values });
  }
  return values;
}

/** The steps of a chart Component up to the picked version, sorted by `to`. */
function chartSteps(chart: ChartComponent, picked: string): { step: UpgradeStep; at: string }[] {
  const steps = new Map<string, { step: UpgradeStep; at: string }>();
  (chart.spec.upgrades ?? []).forEach((s, i) => {
    if (semver.valid(s.to) && !semver.gt(s.to, picked)) steps.set(stepKey(s), { step: s, at: at(chart, ["spec", "upgrades", i, "from"]) });
  });
  return [...steps.values()].sort((a, b) => semver.compare(a.step.to, b.step.to) || (a.step.from < b.step.from ? -1 : a.step.from > b.step.from ? 1 : 0));
}

const at = (c: ChartComponent, path: (string | number)[]) => `${where(c.origin, path)} ${formatPath(path)}`;
