// Reads a definition's template text for what a Project limits, before any
// chart is generated: the kinds each YAML document creates, a namespace set in
// metadata, and Helm functions that reach outside the release (cluster state,
// DNS, templates built from values). Pure and line-exact: every finding points
// at its line and column in the template file as written.
//
// berth's own `<% %>` layer runs first when a chart is generated, so it is
// expanded here the same way (see charts-template/README.md): comments and
// block tags vanish, `<%~ ~%>` strips whitespace, the names a chart is made
// for (`chart`, `workload.*`, `trait.name`) are filled in, and any other
// expression becomes a marker that counts as "computed". Text such as
// `{<%!-- --%>{ lookup …}}` is therefore seen as the `{{ lookup` it becomes.

export interface TemplateNames {
  chart: string;
  workloadKind: string;
  workloadVersion: string;
  trait?: string;
}

export interface At {
  line: number;
  col: number;
}

export interface KindFinding extends At {
  /** The kind as written, or undefined when it is computed. */
  kind?: string;
  /** The value as written when it is computed (`{{ .Values.kind }}`). */
  computed?: string;
  apiVersion?: string;
}

export interface NamespaceFinding extends At {
  value: string;
}

export interface CallFinding extends At {
  fn: OutsideFunction;
}

export interface TemplateScan {
  kinds: KindFinding[];
  namespaces: NamespaceFinding[];
  calls: CallFinding[];
}

/**
 * Helm template functions that read something other than the release's own
 * chart and values: `lookup` reads objects from the cluster, `getHostByName`
 * resolves DNS from where helm runs, and `tpl` renders a string as a template,
 * so a value could carry either of the others. (`env` and `expandenv` are
 * already removed from Helm's function map; `.Files` is the chart's own files.)
 */
export const OUTSIDE_FUNCTIONS = ["lookup", "getHostByName", "tpl"] as const;
export type OutsideFunction = (typeof OUTSIDE_FUNCTIONS)[number];

/** Stands for a `<% %>` expression whose value is not known here. */
export const COMPUTED_MARK = "\u2039hb\u203a";

interface Expanded {
  text: string;
  at: At[]; // source position of every character of `text`
}

/** The text after berth's `<% %>` step, with each character's source position. */
export function expandPlatform(src: string, names: TemplateNames): Expanded {
  const out: string[] = [];
  const at: At[] = [];
  const starts = lineStarts(src);
  const pos = (i: number): At => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: i - starts[lo]! + 1 };
  };
  const known: Record<string, string | undefined> = {
    chart: names.chart,
    "workload.name": names.chart,
    "workload.workloadKind": names.workloadKind,
    "workload.version": names.workloadVersion,
    "trait.name": names.trait,
  };
  let skipWs = false;
  let i = 0;
  while (i < src.length) {
    const escaped = i > 0 && src[i - 1] === "\\";
    if (!src.startsWith("<%", i) || escaped) {
      const ch = src[i]!;
      if (!(skipWs && /\s/.test(ch))) {
        skipWs = false;
        out.push(ch);
        at.push(pos(i));
      }
      i++;
      continue;
    }
    const leftTilde = src[i + 2] === "~";
    const bodyStart = i + 2 + (leftTilde ? 1 : 0);
    const isLongComment = src.startsWith("!--", bodyStart);
    const close = isLongComment ? src.indexOf("--", bodyStart + 3) : -1;
    let end = isLongComment && close >= 0 ? src.indexOf("%>", close) : src.indexOf("%>", bodyStart);
    if (end < 0) end = src.length;
    const raw = src.slice(bodyStart, end);
    const rightTilde = raw.endsWith("~");
    const body = (rightTilde ? raw.slice(0, -1) : raw).trim();
    if (leftTilde) {
      while (out.length && /\s/.test(out[out.length - 1]!)) {
        out.pop();
        at.pop();
      }
    }
    if (!/^(!|#|\/|\^|>|\*|else\b)/.test(body)) {
      const expr = body.replace(/^[{&]\s*/, "").replace(/\s*}$/, "");
      const value = known[expr] ?? COMPUTED_MARK;
      const p = pos(i);
      for (const ch of value) {
        out.push(ch);
        at.push(p);
      }
    }
    skipWs = rightTilde;
    i = end + 2;
  }
  return { text: out.join(""), at };
}

function lineStarts(s: string): number[] {
  const starts = [0];
  for (let i = 0; i < s.length; i++) if (s[i] === "\n") starts.push(i + 1);
  return starts;
}

const isComputed = (v: string) => v.includes("{{") || v.includes(COMPUTED_MARK);
const unquote = (v: string) => v.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
/** A YAML scalar as written on its line: without a trailing ` # comment` (outside Helm actions) and quotes. */
function scalar(v: string): string {
  const hash = v.search(/\s#(?![^{]*}})/);
  return unquote((hash >= 0 ? v.slice(0, hash) : v).trim());
}

// the namespace a chart may set: the release's own
const RELEASE_NAMESPACE = /^\{\{-?\s*\$?\.Release\.Namespace\s*(\|\s*quote\s*)?-?\}\}$/;
export const isReleaseNamespace = (v: string): boolean => RELEASE_NAMESPACE.test(unquote(v.trim()));

/** Kinds, metadata namespaces and outside functions of one template. */
export function scanTemplate(src: string, names: TemplateNames): TemplateScan {
  const { text, at } = expandPlatform(src, names);
  const kinds: KindFinding[] = [];
  const namespaces: NamespaceFinding[] = [];
  let docKinds: KindFinding[] = [];
  let apiVersion: string | undefined;
  let metaIndent: number | undefined; // inside a top-level `metadata:` block, the indent of its keys (-1 before the first)
  const endDoc = () => {
    for (const k of docKinds) if (apiVersion !== undefined) k.apiVersion = apiVersion;
    kinds.push(...docKinds);
    docKinds = [];
    apiVersion = undefined;
    metaIndent = undefined;
  };
  let offset = 0;
  for (const line of text.split("\n")) {
    const lineOffset = offset;
    const here = (col: number): At => at[lineOffset + col] ?? at[at.length - 1] ?? { line: 1, col: 1 };
    offset += line.length + 1;
    if (/^---/.test(line)) {
      endDoc();
      continue;
    }
    if (line.trim() === "" || /^\s*#/.test(line)) continue;
    // a Helm action alone on a line (`{{- if … }}`) belongs to no YAML block
    if (/^\s*\{\{[^}]*\}\}\s*$/.test(line) && !/^\s*\{\{[^}]*\}\}\s*:/.test(line)) continue;
    const top = /^([A-Za-z_]+):(\s*)(.*)$/.exec(line);
    if (top) {
      metaIndent = undefined;
      const [, key, gap, rest] = top;
      const valueCol = key!.length + 1 + gap!.length;
      const value = scalar(rest!);
      if (key === "kind") {
        const p = here(valueCol);
        docKinds.push(isComputed(value) ? { ...p, computed: value } : { ...p, kind: value });
      } else if (key === "apiVersion") apiVersion = value;
      else if (key === "metadata") {
        if (value === "") metaIndent = -1;
        else {
          const flow = /\bnamespace\s*:\s*("[^"]*"|'[^']*'|\{\{.*?\}\}|[^,}]+)/.exec(rest!);
          if (flow && !isReleaseNamespace(flow[1]!)) namespaces.push({ ...here(valueCol + rest!.indexOf(flow[0])), value: flow[1]!.trim() });
        }
      }
      continue;
    }
    if (/^\S/.test(line)) {
      metaIndent = undefined;
      continue;
    }
    if (metaIndent === undefined) continue;
    const indent = /^ */.exec(line)![0].length;
    if (metaIndent === -1) metaIndent = indent;
    if (indent !== metaIndent) continue;
    const ns = /^ *namespace:\s*(.*)$/.exec(line);
    if (ns && !isReleaseNamespace(scalar(ns[1]!))) namespaces.push({ ...here(indent), value: scalar(ns[1]!) });
  }
  endDoc();
  return { kinds, namespaces, calls: outsideCalls(text, at) };
}

/** Calls of OUTSIDE_FUNCTIONS inside Helm actions, ignoring strings and comments. */
function outsideCalls(text: string, at: At[]): CallFinding[] {
  const calls: CallFinding[] = [];
  for (let open = text.indexOf("{{"); open >= 0; open = text.indexOf("{{", open + 2)) {
    const close = text.indexOf("}}", open + 2);
    const end = close < 0 ? text.length : close;
    const action = blankLiterals(text.slice(open + 2, end));
    for (const m of action.matchAll(/(?<![\w.$])(lookup|getHostByName|tpl)(?!\w)/g)) {
      const p = at[open + 2 + m.index] ?? { line: 1, col: 1 };
      calls.push({ ...p, fn: m[1] as OutsideFunction });
    }
    if (close < 0) break;
    open = close;
  }
  return calls;
}

/** The action with strings, raw strings, characters and comments replaced by spaces (same length). */
function blankLiterals(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|`[^`]*`|'(?:[^'\\\n]|\\.)*'/g, (m) => " ".repeat(m.length));
}
