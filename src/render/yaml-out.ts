// Deterministic serialisation: keys sorted at every depth, fixed formatting,
// so the same input always yields the same bytes.
import { stringify } from "yaml";

export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

export function toYaml(value: unknown): string {
  // YAML 1.1 quoting: Helm reads values with a YAML 1.1 parser, where `yes`, `on`, `no` are booleans
  return stringify(sortKeys(value), { version: "1.1", lineWidth: 0, indent: 2, aliasDuplicateObjects: false });
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}
