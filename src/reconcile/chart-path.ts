// The one place a release's chart becomes a local path for helm: a generated
// chart written out, a chart from git written out, or a repository chart from
// the content-addressed cache (pulled only when the cache lacks its digest).
import type { ChartStore } from "../adapters/chart-store.ts";
import type { ChartSources } from "../adapters/charts/sources.ts";
import { chartPinKey, type ChartIdentity, type ChartPin, type RenderedChart } from "../model/types.ts";
import { chartKey } from "./revision.ts";

export type ChartPath = (chart: ChartIdentity) => Promise<string>;

/** What a revision holds of its charts: the generated ones (by name@version) and what the loader read of the others. */
export interface RevisionCharts {
  charts: ReadonlyMap<string, RenderedChart>;
  chartPins?: ReadonlyMap<string, ChartPin> | undefined;
}

export function chartPathFor(desired: RevisionCharts, store: ChartStore, sources: ChartSources | undefined): ChartPath {
  return async (c) => {
    const src = c.source;
    if (!src) {
      const rendered = desired.charts.get(chartKey(c));
      if (!rendered) throw new Error(`chart ${c.name} ${c.version} is not one this revision renders`);
      return store.dirFor(rendered);
    }
    if ("path" in src) {
      const pin = desired.chartPins?.get(chartPinKey(src, "", ""));
      if (!pin || "unavailable" in pin) throw new Error(`chart ${src.path} was not read with this revision`);
      if (pin.archive) return store.archiveFor(pin.digest, pin.archive);
      return store.dirForFiles(pin.digest, pin.files ?? new Map());
    }
    if (!sources) throw new Error(`chart ${c.name} comes from ChartRepository ${src.repository}, and berth runs without chart sources`);
    return sources.path(c);
  };
}
