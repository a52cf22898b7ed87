import { createHash } from "node:crypto";
import type { ReleaseSpec } from "../model/types.ts";

/** JSON with object keys sorted at every depth, so equal data gives equal text. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortDeep(v));
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortDeep((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * Digest of everything that makes a release what it is: when it matches the
 * deployed revision's label, nothing changed and no helm call is needed.
 * 40 hex characters so it fits a label value.
 */
export function releaseDigest(spec: ReleaseSpec): string {
  // where a chart is pulled from is not what it is: its digest says that (a mirror moving changes nothing)
  const { source, ...chart } = spec.chart;
  const basis = {
    chart: source && "repository" in source ? { ...chart, source: { repository: source.repository } } : spec.chart,
    component: spec.component,
    namespace: spec.namespace,
    values: spec.values,
    upgrades: spec.upgrades,
  };
  return createHash("sha256").update(canonicalJson(basis)).digest("hex").slice(0, 40);
}

// Label values allow [A-Za-z0-9._-]; semver build metadata uses `+`, which no
// other part of a semver version can contain, so `_` maps back unambiguously.
export const versionToLabel = (v: string): string => v.replaceAll("+", "_");
export const versionFromLabel = (v: string): string => v.replaceAll("_", "+");
