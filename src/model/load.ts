// The only file-system reader of the model: walks a definitions repository,
// reads the built-in definitions and schemas shipped with berth, and the
// template files definitions name; everything else is checkRepo (pure),
// render's template check (a dry render, pure too) and its values check
// (every release's values against its chart's schema, pure too).
import { lstat, readdir, readFile, realpath } from "node:fs/promises";
import { constants, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import pLimit from "p-limit";
import { resolveInsideSync } from "../adapters/inside-root.ts";
import { ValidationError } from "../errors.ts";
import { templateIssues } from "../render/template-check.ts";
import { valuesIssues } from "../render/values-check.ts";
import type { ChartSources } from "../adapters/charts/sources.ts";
import { collectRepo, finishRepo, type SourceFile, type TemplateReader } from "./build.ts";
import { readGitChart } from "./git-chart.ts";
import { issueAt } from "./issue.ts";
import type { Docs } from "./rules/context.ts";
import { releaseInputs, rememberResolved, resolveRelease } from "../render/resolve.ts";
import { sortIssues } from "./issue.ts";
import { MAX_FILE_BYTES } from "./parse.ts";
import type { SchemaSet } from "./schemas.ts";
import { KINDS, chartPinKey, type ChartIdentity, type ChartPin, type JsonObject, type JsonSchema, type Kind, type ReleaseSpec, type Repo } from "./types.ts";
import type { Issue } from "../errors.ts";

/** The package root: src/model/load.ts and dist/model/load.js both sit two levels down. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface LoadOptions {
  /** Directory holding the built-ins: `definitions/workloads`, `definitions/traits` and the templates they name; default: the berth package. */
  builtinsDir?: string;
  /** Skip the built-in workload and trait definitions (schemas are still read). */
  noBuiltins?: boolean;
  /** Every Application must name a Project (the operator's --require-project). */
  requireProject?: boolean;
  /** Where repository charts are read from; without it their versions are unknown and their releases blocked. */
  charts?: ChartSources;
}

const YAML_FILE = /\.ya?ml$/i;
const SKIP_DIRS = new Set(["node_modules"]);

/** Loads and validates a definitions repository; throws ValidationError with every issue. */
export async function loadRepo(root: string, opts: LoadOptions = {}): Promise<Repo> {
  const pkg = opts.builtinsDir ?? PACKAGE_ROOT;
  const realRoot = await realpath(root);
  const realPkg = await realpath(pkg);
  const [files, builtins, schemas] = await Promise.all([
    readYamlTree(realRoot),
    opts.noBuiltins ? Promise.resolve([]) : readBuiltins(realPkg),
    readSchemas(PACKAGE_ROOT),
  ]);
  const collected = collectRepo({ root: realRoot, files, builtins, schemas, readTemplate: templateReader(realRoot, realPkg) });
  // what chart Components' sources offer, before the rules that check versions against it
  const pins = new Map<string, ChartPin>();
  collected.issues.push(...(await offerCharts(realRoot, collected.docs, opts.charts, pins)));
  const { repo, issues } = finishRepo(collected, { root: realRoot, validate: { requireProject: opts.requireProject === true } });
  repo.chartPins = pins;
  // a dry render of every chart, so a broken template fails here with file:line rather than in render
  const all = [...issues, ...templateIssues(repo.workloads, repo.traits)];
  // each release's values against its chart's values.schema.json, as Helm will check them;
  // only on an otherwise sound repository, where every release resolves
  if (all.length === 0) {
    if (opts.charts) await pinCharts(repo, opts.charts);
    const resolved: ReleaseSpec[] = [];
    all.push(...valuesIssues(repo, resolved));
    // what render would resolve again: a sound repository's releases, in render's order
    if (all.length === 0) rememberResolved(repo, resolved);
  }
  if (all.length > 0) throw new ValidationError(sortIssues(all));
  return repo;
}

/** Every *.yaml / *.yml under `root` (relative paths), skipping hidden files and folders, node_modules, Helm chart folders and symlinks. */
export async function readYamlTree(root: string, under = ""): Promise<SourceFile[]> {
  const paths: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [];
      throw err;
    });
    const subdirs: string[] = [];
    // a folder with a Chart.yaml is a Helm chart (a chart Component's path), not berth documents
    if (dir !== join(root, under) && entries.some((e) => e.isFile() && e.name === "Chart.yaml")) return;
    for (const e of entries) {
      const full = join(dir, e.name);
      // symlinks are never followed: they could lead out of the repository
      if (e.isDirectory()) {
        if (!e.name.startsWith(".") && !SKIP_DIRS.has(e.name)) subdirs.push(full);
      } else if (e.isFile() && YAML_FILE.test(e.name) && !e.name.startsWith(".")) {
        // hidden files (.gitlab-ci.yml, .pre-commit-config.yaml) belong to other tools
        paths.push(full);
      }
    }
    await Promise.all(subdirs.map(walk));
  };
  await walk(join(root, under));
  paths.sort();
  const limit = pLimit(32);
  return Promise.all(paths.map((full) => limit(() => readSource(full, relative(root, full).split(sep).join("/")))));
}

async function readSource(full: string, path: string): Promise<SourceFile> {
  const st = await lstat(full);
  if (st.size > MAX_FILE_BYTES) return { path, size: st.size };
  // O_NOFOLLOW: a file swapped for a symlink after the walk saw it is refused, not followed
  return { path, text: await readFile(full, { encoding: "utf8", flag: constants.O_RDONLY | constants.O_NOFOLLOW }) };
}

async function readBuiltins(pkg: string): Promise<SourceFile[]> {
  const [w, t] = await Promise.all([readYamlTree(pkg, "definitions/workloads"), readYamlTree(pkg, "definitions/traits")]);
  return [...w, ...t];
}

const schemaCache = new Map<string, Promise<SchemaSet>>();

/** The kind schemas shipped in `<pkg>/definitions/schemas`, read once per process. */
export function readSchemas(pkg: string): Promise<SchemaSet> {
  let hit = schemaCache.get(pkg);
  if (!hit) {
    hit = readSchemaFiles(pkg);
    schemaCache.set(pkg, hit);
  }
  return hit;
}

async function readSchemaFiles(pkg: string): Promise<SchemaSet> {
  const read = async (name: string): Promise<JsonSchema> =>
    JSON.parse(await readFile(join(pkg, "definitions", "schemas", `${name}.schema.json`), "utf8")) as JsonSchema;
  const kinds = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await read(k)] as const))) as Record<Kind, JsonSchema>;
  return { common: await read("common"), kinds };
}

/** Reads a template file, refusing files that are missing, too large, or (through symlinks) outside their root. */
export function templateReader(repoRoot: string, pkgRoot: string): TemplateReader {
  return ({ builtin, path }) => {
    const root = builtin ? pkgRoot : repoRoot;
    const where = resolveInsideSync(root, join(root, ...path.split("/")));
    if ("missing" in where) return { error: `file ${path} does not exist` };
    // the target is never opened, so its bytes reach neither the chart nor this message
    if ("outside" in where)
      return { error: `${path} is a symlink leading outside ${builtin ? "the berth package" : "the repository"}; templates must live inside it` };
    const real = where.real;
    const st = statSync(real);
    if (!st.isFile()) return { error: `${path} is not a file` };
    if (st.size > MAX_FILE_BYTES) return { error: `${path} is ${st.size} bytes, over the limit of ${MAX_FILE_BYTES}` };
    return { text: readFileSync(real, "utf8") };
  };
}

/**
 * Fills each chart Component's `offered`: a chart in git is read here (a
 * broken one is an issue of the commit), a repository's index through the
 * chart sources (a failure blocks only its releases, at run time).
 */
async function offerCharts(root: string, docs: Docs, sources: ChartSources | undefined, pins: Map<string, ChartPin>): Promise<Issue[]> {
  const issues: Issue[] = [];
  await Promise.all(
    docs.charts.map(async (c) => {
      const ch = c.spec.chart;
      if (ch.path !== undefined) {
        if (ch.repository !== undefined) return; // refused by the chart rules
        const got = await readGitChart(root, ch.path);
        if ("error" in got) {
          issues.push(issueAt(c.origin, ["spec", "chart", "path"], `cannot read the chart: ${got.error}`));
          return;
        }
        c.offered = { versions: [{ version: got.facts.version, digest: got.digest }] };
        pins.set(chartPinKey({ path: ch.path }, "", ""), {
          digest: got.digest,
          chart: got.facts.name,
          values: got.facts.values as JsonObject,
          ...(got.facts.schema ? { schema: got.facts.schema as JsonSchema } : {}),
          ...(got.archive ? { archive: got.archive } : { files: got.files }),
        });
        return;
      }
      const repo = docs.chartRepositories.find((r) => r.metadata.name === ch.repository);
      if (!repo || !sources || ch.name === undefined) return;
      c.offered = await sources.offer(c, repo);
    }),
  );
  return issues;
}

/** The digest, defaults and schema of every repository chart version a release picks (each read once, through the cache). */
async function pinCharts(repo: Repo, sources: ChartSources): Promise<void> {
  if (!repo.charts.some((c) => c.spec.chart.repository !== undefined)) return;
  const wanted = new Map<string, { chart: ChartIdentity; repository: string }>();
  for (const at of releaseInputs(repo)) {
    const r = resolveRelease({ ...at, repo, issues: [] });
    const src = r?.chart.source;
    if (!r || r.unavailable || !src || !("repository" in src)) continue;
    wanted.set(chartPinKey(src, r.chart.name, r.chart.version), { chart: r.chart, repository: src.repository });
  }
  await Promise.all(
    [...wanted].map(async ([key, w]) => {
      const doc = repo.chartRepositories.find((d) => d.metadata.name === w.repository);
      if (doc) repo.chartPins!.set(key, await sources.pin(w.chart, doc));
    }),
  );
}
