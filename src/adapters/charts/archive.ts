// A packaged chart (.tgz) read in memory: gunzip, then the tar entries of its
// one top folder. Nothing of an archive can land outside the chart: absolute
// paths and `..` are refused, links skipped, and the size is bounded.
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";

export interface ArchiveLimits {
  maxFiles: number;
  maxBytes: number;
}

const LIMITS: ArchiveLimits = { maxFiles: 5_000, maxBytes: 50 * 1024 * 1024 };

/** The files of a chart archive by path relative to the chart (its top folder stripped). */
export function readChartArchive(tgz: Buffer, limits: ArchiveLimits = LIMITS): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(tgz, { maxOutputLength: limits.maxBytes });
  } catch (err) {
    throw new Error(`not a gzip archive, or over ${limits.maxBytes} bytes unpacked: ${(err as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  let longName: string | undefined;
  let paxPath: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 48);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === "L") {
      longName = body.toString("utf8").replace(/\0.*$/s, "");
      continue;
    }
    if (type === "x") {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
      continue;
    }
    if (type === "g") continue;
    const prefix = field(header, 345, 155);
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = paxPath = undefined;
    if (type !== "0" && type !== "\0" && type !== "7") continue; // directories, links and devices carry no chart file
    const path = chartPath(name);
    files.set(path, Buffer.from(body));
    if (files.size > limits.maxFiles) throw new Error(`more than ${limits.maxFiles} files in the archive`);
  }
  if (!files.has("Chart.yaml")) throw new Error("no Chart.yaml at the top of the archive's chart folder");
  return files;
}

function field(h: Buffer, at: number, len: number): string {
  const raw = h.subarray(at, at + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString("utf8");
}

/** `metrics-server/templates/x.yaml` -> `templates/x.yaml`, refusing what could leave the chart. */
function chartPath(name: string): string {
  if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`archive entry ${JSON.stringify(name)} leads outside the chart`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length < 2) throw new Error(`archive entry ${JSON.stringify(name)} is not inside the chart's top folder`);
  return parts.slice(1).join("/");
}

/** What berth reads of a chart: its identity, defaults, schema and CRDs. */
export interface ChartFacts {
  name: string;
  version: string;
  kubeVersion?: string;
  values: Record<string, unknown>;
  schema?: Record<string, unknown>;
  crds: { path: string; text: string }[];
}

export function chartFacts(files: ReadonlyMap<string, Buffer>): ChartFacts {
  const meta = yamlFile(files, "Chart.yaml");
  if (!meta || typeof meta.name !== "string" || typeof meta.version !== "string")
    throw new Error("Chart.yaml needs a name and a version");
  const values = yamlFile(files, "values.yaml") ?? {};
  const schemaText = files.get("values.schema.json")?.toString("utf8");
  let schema: Record<string, unknown> | undefined;
  if (schemaText !== undefined) {
    try {
      schema = JSON.parse(schemaText) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`values.schema.json is not JSON: ${(err as Error).message}`);
    }
  }
  const crds = [...files]
    .filter(([p]) => /^crds\/[^/]+\.(ya?ml|json)$/.test(p))
    .map(([path, b]) => ({ path, text: b.toString("utf8") }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    name: meta.name,
    version: meta.version,
    ...(typeof meta.kubeVersion === "string" ? { kubeVersion: meta.kubeVersion } : {}),
    values,
    ...(schema ? { schema } : {}),
    crds,
  };
}

function yamlFile(files: ReadonlyMap<string, Buffer>, path: string): Record<string, unknown> | undefined {
  const b = files.get(path);
  if (!b) return undefined;
  let v: unknown;
  try {
    v = parseYaml(b.toString("utf8"));
  } catch (err) {
    throw new Error(`${path} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (v === null || v === undefined) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new Error(`${path} must be a mapping`);
  return v as Record<string, unknown>;
}
