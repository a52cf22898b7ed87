// The pure core of loading: files' text in, a validated Repo (or every issue)
// out. load.ts does the reading; tests can call this without a disk.
import { posix } from "node:path";
import { ValidationError, type Issue } from "../errors.ts";
import { issueAt, sortIssues } from "./issue.ts";
import { parseFile, tooLarge, type ParsedDoc } from "./parse.ts";
import { emptyBroken, type Docs, type ValidateOptions } from "./rules/context.ts";
import { createShapeChecker, type SchemaSet } from "./schemas.ts";
import type { Repo, TraitDefinition, WorkloadDefinition } from "./types.ts";
import { validateDocs } from "./validate.ts";

/** A file's text, or only its size when it was too large to read. */
export interface SourceFile {
  path: string; // relative, forward slashes
  text?: string;
  size?: number;
}

/** A template file a definition names, already resolved inside its root. */
export interface TemplateRequest {
  builtin: boolean;
  /** Path relative to the repository root (user definitions) or the package root (built-ins). */
  path: string;
}
export type TemplateReader = (req: TemplateRequest) => { text: string } | { error: string };

export interface BuildOptions {
  root: string;
  files: SourceFile[];
  /** Built-in definition files, paths relative to the package root. */
  builtins: SourceFile[];
  schemas: SchemaSet;
  readTemplate: TemplateReader;
  /** The operator's choices (--require-project). */
  validate?: ValidateOptions;
}

/** How built-in files are named in messages, so nobody looks for them in their repo. */
export const BUILTIN_PREFIX = "<builtin>/";

export function buildRepo(opts: BuildOptions): Repo {
  const { repo, issues } = checkRepo(opts);
  if (issues.length > 0) throw new ValidationError(issues);
  return repo;
}

/** The Repo as far as it could be built, and every issue found. */
export function checkRepo(opts: BuildOptions): { repo: Repo; issues: Issue[] } {
  return finishRepo(collectRepo(opts), opts);
}

/** The documents parsed and shape-checked, before the rules run (the loader reads chart sources in between). */
export interface Collected {
  docs: Docs;
  broken: ReturnType<typeof emptyBroken>;
  issues: Issue[];
}

/** Runs every rule over what collectRepo found. */
export function finishRepo(c: Collected, opts: Pick<BuildOptions, "root" | "validate">): { repo: Repo; issues: Issue[] } {
  const issues = [...c.issues, ...validateDocs(c.docs, c.broken, opts.validate)];
  return { repo: { root: opts.root, ...c.docs }, issues: sortIssues(issues) };
}

export function collectRepo(opts: BuildOptions): Collected {
  const issues: Issue[] = [];
  const shape = createShapeChecker(opts.schemas);
  const broken = emptyBroken();
  const user = collect(opts.files, "", false);
  const builtin = collect(opts.builtins, BUILTIN_PREFIX, true);

  function collect(files: SourceFile[], prefix: string, isBuiltin: boolean): Docs {
    const docs: Docs = { components: [], charts: [], chartRepositories: [], applications: [], overlays: [], clusters: [], workloads: [], traits: [], projects: [] };
    const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const parsed = sorted.map((f) => ({ f, result: f.text === undefined ? undefined : parseFile(`${prefix}${f.path}`, f.text) }));
    // a YAML file that a definition names as a template is chart text, not a berth document
    const templates = new Set(parsed.flatMap(({ f, result }) => (result ? templatePaths(f.path, result.docs) : [])));
    for (const { f, result } of parsed) {
      if (templates.has(f.path)) continue;
      if (!result) {
        issues.push(tooLarge(`${prefix}${f.path}`, f.size ?? 0));
        continue;
      }
      issues.push(...result.issues);
      for (const doc of result.docs) {
        const problems = shape(doc);
        if (problems.length) {
          issues.push(...problems);
          const name = (doc.data.metadata as { name?: unknown } | undefined)?.name;
          if (typeof name === "string") broken[doc.kind].add(name);
          continue;
        }
        add(docs, doc, f.path, isBuiltin);
      }
    }
    return docs;
  }

  function add(docs: Docs, doc: ParsedDoc, file: string, isBuiltin: boolean): void {
    const base = { apiVersion: doc.data.apiVersion, kind: doc.kind, metadata: doc.data.metadata, spec: doc.data.spec, origin: doc.origin };
    switch (doc.kind) {
      case "Component":
        // a chart Component has one document; its versions come from the chart source
        if ((doc.data.spec as { chart?: unknown }).chart !== undefined) docs.charts.push(base as Repo["charts"][number]);
        else docs.components.push(base as Repo["components"][number]);
        break;
      case "ChartRepository":
        docs.chartRepositories.push(base as Repo["chartRepositories"][number]);
        break;
      case "Notification":
        (docs.notifications ??= []).push(base as NonNullable<Repo["notifications"]>[number]);
        break;
      case "Application":
        docs.applications.push(base as Repo["applications"][number]);
        break;
      case "Overlay":
        docs.overlays.push(base as Repo["overlays"][number]);
        break;
      case "Cluster":
        docs.clusters.push(base as Repo["clusters"][number]);
        break;
      case "Project":
        docs.projects.push(base as Repo["projects"][number]);
        break;
      case "WorkloadDefinition":
      case "TraitDefinition": {
        const def = { ...base, builtin: isBuiltin, files: {} } as WorkloadDefinition | TraitDefinition;
        def.files = readTemplates(def, file, isBuiltin, opts.readTemplate, issues);
        if (def.kind === "WorkloadDefinition") docs.workloads.push(def);
        else docs.traits.push(def);
        break;
      }
    }
  }

  const docs: Docs = {
    ...user,
    workloads: override(builtin.workloads, user.workloads),
    traits: override(builtin.traits, user.traits),
  };
  return { docs, broken, issues };
}

/** Built-ins first, in name order, each replaced by a user definition of that name; then the user's new ones. */
function override<T extends WorkloadDefinition | TraitDefinition>(builtins: T[], user: T[]): T[] {
  const mine = new Set(user.map((d) => d.metadata.name));
  return [...builtins.filter((b) => !mine.has(b.metadata.name)), ...user];
}

function isAbsoluteLike(ref: string): boolean {
  return posix.isAbsolute(ref) || /^[A-Za-z]:/.test(ref) || ref.includes("\\");
}

/** Where a template reference points, relative to the root; undefined when it is absolute or leaves the root. */
export function resolveTemplate(file: string, ref: string): string | undefined {
  if (isAbsoluteLike(ref)) return undefined;
  const resolved = posix.normalize(posix.join(posix.dirname(file), ref));
  return resolved === ".." || resolved.startsWith("../") ? undefined : resolved;
}

/** Paths of the templates the definitions in one file name (read before any checking). */
function templatePaths(file: string, docs: ParsedDoc[]): string[] {
  return docs.flatMap((d) => {
    const refs = (d.data.spec as { templates?: unknown } | undefined)?.templates;
    if (d.kind !== "WorkloadDefinition" && d.kind !== "TraitDefinition") return [];
    if (!Array.isArray(refs)) return [];
    return refs.flatMap((r) => (typeof r === "string" ? (resolveTemplate(file, r) ?? []) : []));
  });
}

/** Reads the templates a definition names, refusing any path that leaves its root. */
function readTemplates(
  def: WorkloadDefinition | TraitDefinition,
  file: string,
  builtin: boolean,
  read: TemplateReader,
  issues: Issue[],
): Record<string, string> {
  const files: Record<string, string> = {};
  const rootName = builtin ? "the berth package" : "the repository";
  def.spec.templates.forEach((ref, i) => {
    const at = ["spec", "templates", i];
    const resolved = resolveTemplate(file, ref);
    if (resolved === undefined) {
      const why = isAbsoluteLike(ref)
        ? "must be a relative path with forward slashes"
        : `leads outside ${rootName} (to ${posix.normalize(posix.join(posix.dirname(file), ref))})`;
      issues.push(issueAt(def.origin, at, `template path ${JSON.stringify(ref)} ${why}; templates must live inside ${rootName}, next to or below the definition`));
      return;
    }
    const got = read({ builtin, path: resolved });
    if ("error" in got) issues.push(issueAt(def.origin, at, `template ${JSON.stringify(ref)}: ${got.error}`));
    else files[ref] = got.text;
  });
  return files;
}

