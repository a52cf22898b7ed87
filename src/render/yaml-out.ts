// Deterministic serialisation: keys sorted at every depth, one fixed style.
// Values are plain JSON data, so a small emitter does (and is ~10x faster than
// a general YAML library, which matters at 1,000 releases). A string is
// written plain only when no YAML 1.1 or 1.2 reader could take it for
// anything else (Helm reads values as YAML 1.1: `yes`, `on` are booleans
// there); otherwise it is double-quoted with JSON escapes, valid YAML too.

export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./:@+=-]*(?: [A-Za-z0-9_./:@+=()-]+)*$/;
// anything a YAML 1.1 or 1.2 resolver reads as number, bool, null or timestamp
const SPECIAL = new RegExp(
  "^(?:" +
    [
      "[-+]?[0-9][0-9_]*(?:\\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?", // ints, floats, 012, 1_000
      "[-+]?\\.[0-9_]+(?:[eE][-+]?[0-9]+)?",
      "[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?", // YAML 1.1 base 60
      "[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN)|0[xXoObB][0-9a-fA-F_]+",
      "[yYnN]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
      "null|Null|NULL|~|\\.|_",
    ].join("|") +
    ")$",
);

export function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : v > 0 ? ".inf" : v < 0 ? "-.inf" : ".nan";
  const s = String(v);
  const plain = PLAIN.test(s) && !SPECIAL.test(s) && !s.includes(": ") && !s.endsWith(":") && !/^\d{4}-\d/.test(s);
  return plain ? s : JSON.stringify(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isEmpty = (v: unknown) => (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);
const inline = (v: unknown) => (Array.isArray(v) ? "[]" : isMap(v) ? "{}" : scalar(v));

function emit(v: unknown, indent: string, out: string[]): void {
  if (isMap(v)) {
    for (const k of Object.keys(v).sort()) {
      const x = v[k];
      if (x === undefined) continue;
      if (isEmpty(x) || (!isMap(x) && !Array.isArray(x))) out.push(`${indent}${scalar(k)}: ${inline(x)}`);
      else {
        out.push(`${indent}${scalar(k)}:`);
        emit(x, `${indent}  `, out);
      }
    }
  } else if (Array.isArray(v)) {
    for (const x of v) {
      if (isEmpty(x) || (!isMap(x) && !Array.isArray(x))) out.push(`${indent}- ${inline(x)}`);
      else {
        const sub: string[] = [];
        emit(x, `${indent}  `, sub);
        // the first line of the item goes on the dash line
        out.push(`${indent}- ${(sub[0] ?? "").slice(indent.length + 2)}`, ...sub.slice(1));
      }
    }
  } else out.push(`${indent}${scalar(v)}`);
}

export function toYaml(value: unknown): string {
  if (isEmpty(value) || (!isMap(value) && !Array.isArray(value))) return `${inline(value)}\n`;
  const out: string[] = [];
  emit(value, "", out);
  return `${out.join("\n")}\n`;
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}
