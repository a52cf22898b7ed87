// `berth explain` as text: the version and the ranges that picked it, then
// every value with the layer and file:line that set it and what it overrode.
import type { ExplainedRange, ReleaseExplanation, ValueSource } from "./explain.ts";

const MAX = 100;

/** A value on one line, long ones cut (the JSON output has them whole). */
export function showValue(v: unknown): string {
  const s = JSON.stringify(v) ?? "null";
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}

/** `Overlay shop-dev  overlays/shop-dev.yaml:12:16 spec.components.api.replicas`, or berth's own default. */
export function showSource(s: ValueSource): string {
  if (s.kind === "berth") return `berth: ${s.name}`;
  return `${s.kind} ${s.name}  ${s.at}${s.field ? ` ${s.field}` : ""}`;
}

const EFFECT: Record<ExplainedRange["effect"], string> = {
  narrowed: "  <- narrowed the pick",
  widened: "  <- let it in",
  none: "",
};

export function formatExplanation(e: ReleaseExplanation): string {
  const lines = [
    `Release ${e.release} on cluster ${e.cluster} (application ${e.application}, entry ${e.entry}), chart ${e.chart.name} ${e.chart.version}`,
    "",
    e.unavailable ? `Version not known: ${e.unavailable}; the ranges:` : `Version ${e.version.picked}: the highest of ${e.version.available.join(", ") || "none"} inside every range`,
    ...e.version.ranges.map((r) => `  ${JSON.stringify(r.range)}  ${showSource(r.source)}${EFFECT[r.effect]}`),
    "",
    "Values (lowest precedence first: WorkloadDefinition defaults < Component < Application entry < Overlays)",
  ];
  for (const v of e.values) {
    lines.push(`  ${v.path} = ${showValue(v.value)}`, `      ${showSource(v.source)}`);
    for (const o of v.overrode) lines.push(`      overrides ${showValue(o.value)} from ${showSource(o)}`);
  }
  return `${lines.join("\n")}\n`;
}
