// The helm step of `berth diff`: `helm template` of both sides of every
// release whose manifests may differ (one helm process per side per release,
// a few at a time), compared by render/manifest-diff.ts. A release whose
// manifests cannot be rendered says why in its place; the others still show.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pLimit from "p-limit";
import { createChartStore } from "../adapters/chart-store.ts";
import type { ChartSources } from "../adapters/charts/sources.ts";
import type { HelmClient } from "../adapters/helm.ts";
import { chartPathFor } from "../reconcile/chart-path.ts";
import { chartKey } from "../reconcile/revision.ts";
import type { ReleaseSpec } from "../model/types.ts";
import { manifestsMayDiffer, releaseKey, type RenderDiff, type ReleaseChange } from "../render/diff.ts";
import { diffObjects, splitManifest, type ManifestObject, type ReleaseObjects } from "../render/manifest-diff.ts";
import type { Rendered } from "../render/output.ts";

export type Side = "base" | "head";

/** The local directory of a release's chart on one side: the one place a chart path is found. */
export type ChartPath = (release: ReleaseSpec, side: Side) => Promise<string>;

export interface ManifestDiffOptions {
  helm: Pick<HelmClient, "template">;
  chartPath: ChartPath;
  /** helm processes at once (default 4). */
  concurrency?: number;
  /** One `helm template` (default 60 s). */
  timeoutMs?: number;
  /** Leave the values of secret-looking keys and Secrets' data in the patches (default: masked). */
  showSecrets?: boolean;
}

/**
 * Generated charts written to disk under `root` from each side's render.
 * A third-party chart (`chart.source`) is not rendered by berth; its path
 * will come from the chart cache, here, when there is one.
 */
export function generatedChartPath(sides: Record<Side, Rendered>, root: string, sources?: ChartSources): ChartPath {
  const store = createChartStore(root);
  const paths = Object.fromEntries(
    (["base", "head"] as const).map((side) => [
      side,
      chartPathFor({ charts: new Map(sides[side].charts.map((c) => [chartKey(c), c])), chartPins: sides[side].chartPins }, store, sources),
    ]),
  ) as Record<Side, ReturnType<typeof chartPathFor>>;
  return (r, side) => paths[side](r.chart);
}

/** The diff with `objects` set on every release whose manifests may differ; no helm call when none may. */
export async function withObjects(d: RenderDiff, sides: Record<Side, Rendered>, o: ManifestDiffOptions): Promise<RenderDiff> {
  const specs: Record<Side, Map<string, ReleaseSpec>> = {
    base: new Map(sides.base.releases.map((r) => [releaseKey(r), r])),
    head: new Map(sides.head.releases.map((r) => [releaseKey(r), r])),
  };
  const limit = pLimit(o.concurrency ?? 4);
  const timeoutMs = o.timeoutMs ?? 60_000;

  async function objectsOf(r: ReleaseChange, side: Side): Promise<ManifestObject[] | undefined> {
    const spec = specs[side].get(r.key);
    if (!spec) return undefined;
    if (spec.unavailable) throw new Error(`${side}: ${spec.unavailable}`);
    // a release on both sides renders as an upgrade on both, so .Release.IsUpgrade makes no difference of its own
    const isUpgrade = r.change === "changed" || side === "base";
    const manifest = await limit(async () =>
      o.helm.template({ release: spec.name, namespace: spec.namespace, chartDir: await o.chartPath(spec, side), values: spec.values, isUpgrade, timeoutMs }),
    ).catch((err: Error) => {
      throw new Error(`${side}: ${err.message}`);
    });
    try {
      return splitManifest(manifest, spec.namespace);
    } catch (err) {
      throw new Error(`${side}: ${(err as Error).message}`);
    }
  }

  async function compare(r: ReleaseChange): Promise<ReleaseObjects> {
    const [a, b] = await Promise.allSettled([objectsOf(r, "base"), objectsOf(r, "head")]);
    const failed = [a, b].flatMap((x) => (x.status === "rejected" ? [(x.reason as Error).message] : []));
    if (failed.length) return { error: failed.join("; ") };
    return diffObjects((a as PromiseFulfilledResult<ManifestObject[] | undefined>).value, (b as PromiseFulfilledResult<ManifestObject[] | undefined>).value, {
      showSecrets: o.showSecrets === true,
    });
  }

  const releases = await Promise.all(d.releases.map(async (r) => (manifestsMayDiffer(r) ? { ...r, objects: await compare(r) } : r)));
  return { ...d, releases };
}

/** withObjects with the generated charts written to a temporary directory, removed afterwards. */
export async function diffManifests(d: RenderDiff, sides: Record<Side, Rendered>, o: Omit<ManifestDiffOptions, "chartPath"> & { sources?: ChartSources }): Promise<RenderDiff> {
  if (!d.releases.some(manifestsMayDiffer)) return d;
  const root = await mkdtemp(join(tmpdir(), "berth-diff-charts-"));
  try {
    return await withObjects(d, sides, { ...o, chartPath: generatedChartPath(sides, root, o.sources) });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
