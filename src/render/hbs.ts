// Handlebars over platform text only (definitions' template files), producing
// Helm Go templates. The two languages share `{{ }}`, so sources write
// handlebars as `<% %>` and Go templates as plain `{{ }}`:
//   1. every `{{` is escaped to `\{{`, which handlebars emits verbatim;
//   2. `<%` / `%>` become `{{` / `}}`.
// See charts-template/README.md. User data never passes through here.
//
// Templates come from the definitions repository, so they are untrusted: a
// broken one becomes a TemplateError with its line and column (never a stack
// trace), partials and decorators are refused, and the only helpers are the
// pure ones below plus handlebars' own control flow. No helper reaches the
// file system, the environment or the process; the context holds only names.
import Handlebars from "handlebars";

/** A template handlebars cannot compile or run. `line`/`col` (1-based) are in the `<% %>` source as written. */
export class TemplateError extends Error {
  readonly reason: string;
  readonly line: number;
  readonly col: number;
  constructor(reason: string, line: number, col: number) {
    super(`${line}:${col}: ${reason}`);
    this.name = "TemplateError";
    this.reason = reason;
    this.line = line;
    this.col = col;
  }
}

/** Helpers a template may call: handlebars' control flow and berth's own. `log` is removed (it writes to the console). */
export const TEMPLATE_HELPERS = ["each", "eq", "hasTrait", "if", "lookup", "slot", "slotGuard", "unless", "with"] as const;
const HANDLEBARS_INTERNAL = new Set(["blockHelperMissing", "helperMissing"]);

const CONTEXT_NAMES = "chart, workload.name, workload.workloadKind, workload.version, trait.name (in a trait's files), traits, slots";

export interface SlotSink {
  /** Records that the trait being rendered fills `slot`. */
  fill(slot: string): void;
}

export interface HbsContext {
  chart: string;
  workload: { name: string; workloadKind: string; version: string };
  trait?: { name: string };
  /** Applicable trait names, sorted. */
  traits: string[];
  /** Slot -> traits filling it, sorted (known once the traits are rendered). */
  slots: Record<string, string[]>;
}

/** Turns a `<% %>` source into handlebars source that leaves `{{ }}` alone. */
export function toHandlebarsSource(src: string): string {
  return src.replaceAll("{{", "\\{{").replaceAll("<%", "{{").replaceAll("%>", "}}");
}

type Loc = { start: { line: number; column: number } } | undefined;

/** A TemplateError at a handlebars location (0-based column in the converted source). */
function errorAt(src: string, reason: string, loc: Loc): TemplateError {
  if (!loc) return new TemplateError(reason, 1, 1);
  const { line, column } = loc.start;
  return new TemplateError(reason, line, originalColumn(src.split("\n")[line - 1] ?? "", column) + 1);
}

/**
 * Maps a 0-based column of the converted source back to the line as written:
 * each `{{` before it gained one character (`\{{`); `<%` and `%>` kept their length.
 */
export function originalColumn(line: string, converted: number): number {
  let shift = 0;
  for (let i = line.indexOf("{{"); i >= 0 && i + shift < converted; i = line.indexOf("{{", i + 2)) shift++;
  return converted - shift;
}

const TOKEN: Record<string, string> = {
  EOF: "the end of the template",
  OPEN_ENDBLOCK: "<%/name%>",
  CLOSE: "%>",
  CLOSE_UNESCAPED: "}%>",
  CLOSE_RAW_BLOCK: "%>",
  ID: "a name",
  STRING: "a string",
  NUMBER: "a number",
  SEP: '"." or "/"',
  INVALID: "text handlebars cannot read",
};
const tokenName = (t: string): string => TOKEN[t] ?? t.toLowerCase().replaceAll("_", " ");

/** The shared jison lexer of handlebars' parser: after a parse error it still holds the failing token's place. */
function lexerLoc(): Loc {
  const lexer = (Handlebars as unknown as { Parser?: { lexer?: { yylloc?: { first_line: number; first_column: number } } } }).Parser?.lexer;
  const l = lexer?.yylloc;
  return l ? { start: { line: l.first_line, column: l.first_column } } : undefined;
}

function syntaxError(src: string, err: unknown): TemplateError {
  const e = err as { message?: string; lineNumber?: number; column?: number };
  const message = String(e.message ?? err);
  if (typeof e.lineNumber === "number") {
    // e.g. "if doesn't match each - 2:3" (a block closed by the wrong name)
    const reason = message.replace(/ - \d+:\d+$/, "").replace(/^(\S+) doesn't match (\S+)$/, "<%#$1%> is closed by <%/$2%>; close it with <%/$1%>");
    return errorAt(src, `handlebars syntax error: ${reason}`, { start: { line: e.lineNumber, column: e.column ?? 0 } });
  }
  const m = /Expecting (.+), got '([^']+)'/.exec(message);
  let reason: string;
  if (m) {
    const expected = [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
    const got = m[2]!;
    if (got === "EOF" && expected.includes("OPEN_ENDBLOCK")) reason = "a <%#…%> block is never closed; end it with <%/name%>";
    else if (got === "INVALID") reason = "a <% is not closed by %>, or holds text handlebars cannot read";
    else reason = `found ${tokenName(got)} where handlebars expects ${[...new Set(expected.map(tokenName))].slice(0, 6).join(", ")}`;
  } else {
    reason = message.split("\n")[0] ?? message;
  }
  return errorAt(src, `handlebars syntax error: ${reason}`, lexerLoc());
}

interface AstNode {
  type?: string;
  loc?: Loc;
  name?: { original?: unknown };
}

/** Refuses partials (berth registers none) and decorators: a template is one self-contained file. */
function refuseUnsupported(src: string, node: unknown): void {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const n of node) refuseUnsupported(src, n);
    return;
  }
  const n = node as AstNode;
  if (n.type === "PartialStatement" || n.type === "PartialBlockStatement") {
    const name = typeof n.name?.original === "string" ? ` "${n.name.original}"` : "";
    throw errorAt(src, `partial${name}: berth templates have no partials; put shared text in a trait's <%#slot%> fragment or in the file itself`, n.loc);
  }
  if (n.type === "Decorator" || n.type === "DecoratorBlock") {
    throw errorAt(src, "handlebars decorators (<%* …%>) are not supported in berth templates; remove it", n.loc);
  }
  for (const [k, v] of Object.entries(n)) if (k !== "loc") refuseUnsupported(src, v);
}

function runtimeError(src: string, err: unknown): TemplateError {
  if (err instanceof TemplateError) return err;
  const e = err as { message?: string; lineNumber?: number; column?: number };
  const message = String(e.message ?? err).replace(/ - \d+:\d+$/, "");
  const loc = typeof e.lineNumber === "number" ? { start: { line: e.lineNumber, column: e.column ?? 0 } } : undefined;
  const undef = /^"([^"]+)" not defined in /.exec(message);
  const notObject = /^Cannot use 'in' operator to search for '([^']+)' in /.exec(message);
  const reason = undef
    ? `"${undef[1]}" is not defined; a template can use ${CONTEXT_NAMES}, and the helpers ${TEMPLATE_HELPERS.join(", ")}`
    : notObject
      ? `".${notObject[1]}" is looked up on a value that has no fields (a name or a number); a template can use ${CONTEXT_NAMES}`
      : `handlebars: ${message}`;
  return errorAt(src, reason, loc);
}

/** Checks that a template compiles (syntax, no partials or decorators) without rendering it. */
export function checkPlatformTemplate(src: string): void {
  const source = toHandlebarsSource(src);
  let ast: unknown;
  try {
    ast = Handlebars.parse(source);
  } catch (err) {
    throw syntaxError(src, err);
  }
  refuseUnsupported(src, ast);
}

/** Renders one platform template. `sink` is set when rendering a trait's files. Throws TemplateError. */
export function renderPlatformTemplate(
  src: string,
  ctx: HbsContext,
  sink?: SlotSink,
): string {
  checkPlatformTemplate(src);
  const hb = templateEnv(src, ctx, sink);
  // only a string is ever compiled (never an AST object), and prototype access stays off
  // knownHelpers.log off: the compiler would otherwise call the removed `log` directly
  const template = hb.compile(toHandlebarsSource(src), { noEscape: true, strict: true, knownHelpers: { log: false } });
  try {
    return template(ctx, { allowProtoMethodsByDefault: false, allowProtoPropertiesByDefault: false });
  } catch (err) {
    throw runtimeError(src, err);
  }
}

/** Names of the helpers a template can call (for the test that pins the set). */
export function templateHelperNames(): string[] {
  const hb = templateEnv("", { chart: "", workload: { name: "", workloadKind: "", version: "" }, traits: [], slots: {} });
  return Object.keys(hb.helpers).filter((n) => !HANDLEBARS_INTERNAL.has(n)).sort();
}

/** A private handlebars environment holding exactly TEMPLATE_HELPERS. */
function templateEnv(src: string, ctx: HbsContext, sink?: SlotSink): typeof Handlebars {
  const hb = Handlebars.create();
  hb.unregisterHelper("log");
  hb.registerHelper("helperMissing", (...args: unknown[]) => {
    const options = args[args.length - 1] as Handlebars.HelperOptions & { name?: string; loc?: Loc };
    throw errorAt(src, `unknown helper "${options.name ?? "?"}"; the helpers are ${TEMPLATE_HELPERS.join(", ")}`, options.loc);
  });
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hb.registerHelper("hasTrait", (name: string) => ctx.traits.includes(name));
  hb.registerHelper("slot", function (this: unknown, name: string, ...rest: unknown[]) {
    const options = rest[rest.length - 1] as Handlebars.HelperOptions & { loc?: Loc };
    if (typeof options.fn === "function") {
      // block form, inside a trait's fragment file: define the fragment
      if (!ctx.trait || !sink) {
        throw errorAt(src, `<%#slot "${name}"%> defines a trait's fragment and works only in a TraitDefinition's template; in a workload template write <% slot "${name}" %> to include the fragments`, options.loc);
      }
      sink.fill(name);
      const body = options.fn(this).replace(/^\n+/, "").replace(/\s+$/, "");
      return `{{- define "${fragmentName(ctx.chart, ctx.trait.name, name)}" }}\n${body}\n{{- end }}\n`;
    }
    // inline form, inside a workload template: include every filler
    const indent = typeof rest[0] === "number" ? rest[0] : 0;
    const fillers = ctx.slots[name] ?? [];
    if (fillers.length === 0) return `{{- /* no trait fills ${name} */}}`;
    return fillers
      .map(
        (t) =>
          `{{- if .Values.traits.${t}.enabled }}\n` +
          `{{- include "${fragmentName(ctx.chart, t, name)}" . | trim | nindent ${indent} }}\n` +
          `{{- end }}`,
      )
      .join("\n");
  });
  hb.registerHelper("slotGuard", (name: string, ...rest: unknown[]) => {
    const base = rest.slice(0, -1).filter((x): x is string => typeof x === "string");
    const terms = [...base, ...(ctx.slots[name] ?? []).map((t) => `.Values.traits.${t}.enabled`)];
    return terms.length === 0 ? "false" : `or ${terms.map((t) => `(${t})`).join(" ")}`;
  });
  return hb;
}

export function fragmentName(chart: string, trait: string, slot: string): string {
  return `${chart}.trait.${trait}.${slot}`;
}
