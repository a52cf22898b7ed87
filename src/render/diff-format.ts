// Text and markdown (pull-request comment) views of a RenderDiff.
import type { KeyChange, RangeChange, RenderDiff, ReleaseChange, StepChange, StepRun } from "./diff.ts";
import type { ValueSource } from "./explain.ts";
import { objectCounts, type ObjectChange, type ReleaseObjects } from "./manifest-diff.ts";
import { rolloutMermaid } from "./diff-mermaid.ts";

const SIGN = { added: "+", removed: "-", changed: "~" } as const;
const show = (v: unknown) => (v === undefined ? "" : JSON.stringify(v));

function keyLine(k: KeyChange): string {
  if (k.change === "added") return `+ ${k.path}: ${show(k.to)}`;
  if (k.change === "removed") return `- ${k.path}: ${show(k.from)}`;
  return `~ ${k.path}: ${show(k.from)} -> ${show(k.to)}`;
}

/** `overlays/shop-dev.yaml:9:7 spec.components.api.replicas (Overlay shop-dev)`, or berth's own default. */
function sourceText(s: ValueSource): string {
  return s.kind === "berth" ? `berth: ${s.name}` : `${s.at} ${s.field} (${s.kind} ${s.name})`;
}

/** A changed value and, when known, where it is set now (or was set, when removed). */
function valueLine(k: KeyChange): string {
  if (!k.source) return keyLine(k);
  return `${keyLine(k)}  <- ${k.change === "removed" ? "was " : ""}${sourceText(k.source)}`;
}

/** `version moved by "~1.1.0" at overlays/store-staging.yaml:9:16 (Overlay store-staging, was "~1.0.0")`, or the ranges a new version is the highest inside. */
function versionLine(r: ReleaseChange): string | undefined {
  const by = r.version.by;
  if (!by?.length) return undefined;
  const range = (x: RangeChange) => {
    const note = x.change === "changed" ? `, was ${JSON.stringify(x.was)}` : x.change === "added" ? ", added" : x.change === "removed" ? ", removed" : "";
    return `${JSON.stringify(x.range)} at ${x.source.at} (${x.source.kind} ${x.source.name}${note})`;
  };
  return `${by.some((x) => x.change) ? "version moved by" : "version: the highest inside"} ${by.map(range).join(" and ")}`;
}

function stepLine(s: StepRun): string {
  const cmd = [...(s.step.command ?? []), ...(s.step.args ?? [])].join(" ");
  return `${s.kind === "run" ? "run" : "rollback"} step ${s.from} -> ${s.to}: ${s.step.image}${cmd ? ` ${cmd}` : ""}`;
}

const stepName = (s: StepChange) => `upgrade step ${s.from} -> ${s.to}`;

/** `~ upgrade step >=1.0.0 <1.1.0 -> 1.1.0` and, for an edited one, one line per field that changed. */
function stepChangeLines(s: StepChange): string[] {
  return [`${SIGN[s.change]} ${stepName(s)}${s.change === "changed" ? "" : ` ${s.change}`}`, ...s.fields.map((k) => `    ${keyLine(k)}`)];
}

/** The same for a ```diff block: every line starts with its marker (`!` for changed). */
function stepChangeDiff(s: StepChange): string[] {
  if (s.change !== "changed") return [`${SIGN[s.change]} ${stepName(s)} ${s.change}`];
  return s.fields.map((k) => keyLine(k).replace(/^([-+~]) /, (_, m: string) => `${m === "~" ? "!" : m} ${stepName(s)}: `));
}

function headline(r: ReleaseChange): string {
  if (r.change === "added") return `${r.key} (${r.name}) added: ${r.chart.to}, component ${r.version.to}`;
  if (r.change === "removed") return `${r.key} (${r.name}) removed (was ${r.chart.from}, component ${r.version.from})`;
  const v = r.version.move === "none" ? "" : ` ${r.version.move} ${r.version.from} -> ${r.version.to}`;
  const c = r.chart.from !== r.chart.to ? ` chart ${r.chart.from} -> ${r.chart.to}` : "";
  const what = [
    ...(r.values.length || r.release.length ? ["values"] : []),
    ...(r.upgrades.length ? ["upgrade steps"] : []),
    ...(r.chartFiles ? [`chart ${r.chart.to} files`] : []),
  ].join(", ");
  return `${r.key} (${r.name}) changed:${v}${c}${v || c ? "" : ` ${what}`}`;
}

export function summary(d: RenderDiff): string {
  const n = (c: string) => d.releases.filter((r) => r.change === c).length;
  const compared = d.releases.flatMap((r) => (r.objects && "changes" in r.objects ? r.objects.changes : []));
  const objects = d.releases.some((r) => r.objects) ? `; objects: ${objectCounts(compared)}` : "";
  return `${d.charts.length} chart(s) changed; releases: ${n("added")} added, ${n("removed")} removed, ${n("changed")} changed${objects}`;
}

/** Whether an object's own lines are worth showing: not when its whole release is added or removed (every object is). */
const showPatch = (r: ReleaseChange) => r.change === "changed";

function objectsLine(o: ReleaseObjects): string {
  if ("error" in o) return `objects not compared: ${o.error}`;
  return `objects: ${objectCounts(o.changes)}${o.unchanged ? ` (${o.unchanged} unchanged)` : ""}`;
}

/** The object diff of a release for the text view, indented under it. */
function objectLines(r: ReleaseChange): string[] {
  if (!r.objects) return [];
  const out = [`      ${objectsLine(r.objects)}`];
  if ("error" in r.objects) return out;
  for (const c of r.objects.changes) {
    out.push(`        ${SIGN[c.change]} ${c.label}${c.note ? ` (${c.note})` : ""}`);
    if (showPatch(r) && c.patch) for (const l of c.patch.replace(/\n$/, "").split("\n")) out.push(`            ${l}`);
  }
  return out;
}

export function formatText(d: RenderDiff): string {
  if (d.charts.length === 0 && d.releases.length === 0) return "No changes.\n";
  const out: string[] = [];
  if (d.charts.length) {
    out.push("Charts:");
    for (const c of d.charts) {
      const v = c.from !== c.to ? ` ${c.from ?? "(none)"} -> ${c.to ?? "(none)"}` : ` ${c.to}`;
      out.push(`  ${SIGN[c.change]} ${c.name}${v}`);
      for (const f of c.files) {
        out.push(`    ${SIGN[f.change]} ${f.path}`);
        for (const l of f.patch.replace(/\n$/, "").split("\n")) out.push(`      ${l}`);
      }
    }
  }
  if (d.releases.length) {
    out.push("Releases:");
    for (const r of d.releases) {
      out.push(`  ${SIGN[r.change]} ${headline(r)}`);
      const version = versionLine(r);
      if (version) out.push(`      ${version}`);
      for (const s of r.steps) out.push(`      ${stepLine(s)}`);
      if (r.change === "changed") {
        for (const k of r.release) out.push(`      ${keyLine(k)}`);
        for (const k of r.values) out.push(`      values ${valueLine(k)}`);
        for (const u of r.upgrades) for (const l of stepChangeLines(u)) out.push(`      ${l}`);
      }
      out.push(...objectLines(r));
    }
  }
  out.push(summary(d));
  return `${out.join("\n")}\n`;
}

const code = (s: string) => `\`${s.replaceAll("`", "'")}\``;

/** A fenced block whose fence is longer than any backtick run in `text` (a ConfigMap may hold markdown). */
function fenced(lang: string, text: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, text.replace(/\n$/, ""), fence];
}

/** The hidden line the pull-request script finds its own comment by. */
export const MARKDOWN_MARKER = "<!-- berth-diff -->";

/** A block longer than this many lines starts collapsed; a shorter one open (still collapsible). */
const LONG = 20;

function details(summary: string, body: string[]): string[] {
  const open = body.join("\n").split("\n").length <= LONG ? " open" : "";
  // a list or fence ends before the closing tag, or the tag is read as part of it
  return [`<details${open}><summary>${summary}</summary>`, "", ...body, ...(body.length && body.at(-1) !== "" ? [""] : []), "</details>", ""];
}

function objectsBlock(r: ReleaseChange): string[] {
  const o = r.objects as ReleaseObjects;
  const body = "changes" in o ? o.changes.flatMap((c) => objectMarkdown(r, c)) : [];
  return details(`${SIGN[r.change]} ${r.key} (${r.name}): ${objectsLine(o)}`, body);
}

function objectMarkdown(r: ReleaseChange, c: ObjectChange): string[] {
  const what = `${code(c.label)} ${c.change}${c.note ? ` (${c.note})` : ""}`;
  if (!showPatch(r) || !c.patch) return [`- ${what}`];
  return [`${SIGN[c.change]} ${what}`, "", ...fenced("diff", c.patch), ""];
}

/** What a changed release's block holds: the version move and where it comes from, the steps it runs, every changed value. */
function changesBlock(r: ReleaseChange): string[] {
  const edited = r.upgrades.length ? `, ${r.upgrades.length} upgrade step(s) edited` : "";
  const files = r.chartFiles ? `, chart ${r.chart.to} files changed` : "";
  const body: string[] = [];
  const version = versionLine(r);
  if (version) body.push(`- ${code(version)}`);
  for (const s of r.steps) body.push(`- ${code(stepLine(s))}`);
  if (r.steps.length || version) body.push("");
  const lines = [
    ...r.release.map((k) => keyLine(k).replace(/^~/, "!")),
    ...r.values.map((k) => valueLine(k).replace(/^~/, "!").replace(/^([-+!]) /, "$1 values.")),
    ...r.upgrades.flatMap(stepChangeDiff),
  ];
  // a release whose chart files alone changed has no lines here: its objects say what that does
  if (lines.length) body.push(...fenced("diff", `${lines.join("\n")}\n`), "");
  return details(`${r.key}: ${r.values.length + r.release.length} change(s)${r.steps.length ? `, ${r.steps.length} step(s)` : ""}${edited}${files}`, body);
}

/** A revision as the heading names it: what was given, and its commit when that is not what was given. */
export interface Revision {
  rev: string;
  commit?: string;
}

const revText = (r: Revision | undefined) => {
  if (!r) return "the work tree";
  const short = r.commit?.slice(0, 7);
  return short && !r.commit?.startsWith(r.rev) ? `${code(r.rev)} (${short})` : code(short ?? r.rev);
};

export interface MarkdownOptions {
  base?: Revision;
  /** Absent: the work tree. */
  head?: Revision;
}

/**
 * The view a pull request gets: the marker line, a heading with both
 * revisions, the rollout order as a mermaid graph, then per application its
 * releases (a table, then per changed release its changes and its objects,
 * collapsed where long), then the generated charts whose files changed.
 */
export function formatMarkdown(d: RenderDiff, o: MarkdownOptions = {}): string {
  const out: string[] = [MARKDOWN_MARKER, o.base ? `## berth diff: ${revText(o.base)} → ${revText(o.head)}` : "## berth diff", ""];
  if (d.charts.length === 0 && d.releases.length === 0) return `${out.join("\n")}\nNo changes.\n`;
  out.push(`${summary(d)}.`, "");
  if (d.rollout?.length) {
    out.push(
      "### Rollout order",
      "",
      "Per application its waves, left to right: each starts after the one before is healthy, then its soak and approval. In a wave, its releases by dependency level (`~` changed, `+` added).",
      "",
      ...fenced("mermaid", rolloutMermaid(d.rollout)),
      "",
    );
  }
  const apps = [...new Set(d.releases.map((r) => r.key.split("/")[1] as string))].sort();
  for (const app of apps) {
    const rs = d.releases.filter((r) => r.key.split("/")[1] === app);
    out.push(`### Application ${code(app)}`, "", "| | release | cluster | component | chart |", "|---|---|---|---|---|");
    for (const r of rs) {
      const ver = r.version.from === r.version.to ? (r.version.to ?? "") : `${r.version.from ?? "—"} → ${r.version.to ?? "—"}${r.version.move !== "none" ? ` (${r.version.move})` : ""}`;
      const chart = r.chart.from === r.chart.to ? (r.chart.to ?? "") : `${r.chart.from ?? "—"} → ${r.chart.to ?? "—"}`;
      out.push(`| ${SIGN[r.change]} | ${code(r.name)} | ${r.cluster} | ${ver} | ${chart} |`);
    }
    out.push("");
    for (const r of rs.filter((x) => x.change === "changed")) out.push(...changesBlock(r));
    const withObjects = rs.filter((r) => r.objects);
    if (withObjects.length) out.push("#### Objects", "", ...withObjects.flatMap(objectsBlock));
  }
  if (d.charts.length) {
    out.push("### Charts", "");
    for (const c of d.charts) {
      const v = c.from !== c.to ? `${c.from ?? "—"} → ${c.to ?? "—"}` : (c.to ?? "");
      const body = c.files.flatMap((f) => [`${SIGN[f.change]} ${code(f.path)}`, "", ...fenced("diff", f.patch), ""]);
      out.push(...details(`${SIGN[c.change]} ${c.name} ${v}: ${c.files.length} file(s)`, body));
    }
  }
  return `${out.join("\n")}`;
}
