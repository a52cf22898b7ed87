// A chart's `crds/` before helm runs, by the entry's `crds` policy. Helm
// creates them on a first install and never touches them again; berth:
//   skip          -> nothing (and helm gets --skip-crds)
//   create        -> the chart's CRDs the cluster lacks are created
//   createReplace -> created, or applied over the cluster's (server-side, field manager berth)
// Reads are berth's; writes go through applyObject, the release's acting
// identity when its Project impersonates. Generated charts have no crds/.
import { parseAllDocuments } from "yaml";
import { readChartCrds, type ChartFile } from "../adapters/charts/chart-crds.ts";
import type { CrdPolicy, ReleaseSpec } from "../model/types.ts";
import type { ActionContext } from "./context.ts";
import type { CrdChanges } from "./memo.ts";

export const FIELD_MANAGER = "berth";
const CRD_API = "apiextensions.k8s.io/v1";

export interface ChartCrd {
  name: string;
  file: string;
  object: Record<string, unknown>;
}

/** The CustomResourceDefinitions in a chart's CRD files, by name (other kinds there are left to helm's install). */
export function parseChartCrds(files: ChartFile[]): ChartCrd[] {
  const out = new Map<string, ChartCrd>();
  for (const f of files) {
    for (const doc of parseAllDocuments(f.text)) {
      if (doc.errors.length) throw new Error(`${f.path}: not YAML: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as Record<string, unknown> | null;
      if (!obj || typeof obj !== "object") continue; // an empty document
      const name = (obj.metadata as { name?: unknown } | undefined)?.name;
      if (obj.kind !== "CustomResourceDefinition") continue;
      if (typeof name !== "string") throw new Error(`${f.path}: a CustomResourceDefinition without metadata.name`);
      if (obj.apiVersion !== CRD_API) throw new Error(`${f.path}: CustomResourceDefinition ${name} is ${String(obj.apiVersion)}; the API server serves ${CRD_API} only`);
      out.set(name, { name, file: f.path, object: obj });
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The policy a release's CRDs follow: the entry's, default create. */
export const crdPolicy = (desired: ReleaseSpec): CrdPolicy => desired.crds ?? "create";

/**
 * Applies `policy` to the chart's CRDs and waits until those it wrote are
 * served. Fills `changes` as it goes, so a failure still says what it did.
 * A generated chart (no source) is not read at all.
 */
export async function applyChartCrds(ctx: ActionContext, desired: ReleaseSpec, changes: CrdChanges): Promise<void> {
  const policy = crdPolicy(desired);
  if (policy === "skip" || !desired.chart.source) return;
  const crds = parseChartCrds(await readChartCrds(await ctx.chartDir(desired.chart)));
  for (const crd of crds) {
    const before = await ctx.kube.readCrd(crd.name);
    if (before && policy === "create") continue;
    await ctx.kube.applyObject(crd.object, { fieldManager: FIELD_MANAGER, force: true });
    if (!before) {
      changes.created.push(crd.name);
      continue;
    }
    // an apply that changes nothing leaves the resourceVersion as it was
    const after = await ctx.kube.readCrd(crd.name);
    if (after?.resourceVersion !== before.resourceVersion) changes.replaced.push(crd.name);
  }
  const written = [...changes.created, ...changes.replaced];
  if (written.length) await ctx.kube.waitCrdsEstablished(written, Math.min(ctx.helmTimeoutMs, 60_000));
}
