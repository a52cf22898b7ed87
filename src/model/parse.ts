// Parses one file's text into berth documents with source positions. Pure:
// (relative path, text) in, documents and issues out.
import { isAlias, LineCounter, parseAllDocuments, visit, type Document } from "yaml";
import type { Issue } from "../errors.ts";
import { fileOrigin, makeOrigin } from "./origin.ts";
import { issueAt, list } from "./issue.ts";
import { API_VERSION, KINDS, type JsonObject, type Kind, type Origin } from "./types.ts";

export const MAX_FILE_BYTES = 1024 * 1024;
/** Far above what a real definition needs, far below what a "billion laughs" file needs. */
export const MAX_ALIAS_COUNT = 100;

/** One YAML document that claims to be a berth object; its shape is checked later. */
export interface ParsedDoc {
  kind: Kind;
  /** The whole document as plain data (apiVersion, kind, metadata, spec). */
  data: JsonObject;
  origin: Origin;
}

export interface ParseResult {
  docs: ParsedDoc[];
  issues: Issue[];
}

export interface ParseOptions {
  maxBytes?: number;
  maxAliasCount?: number;
}

export function parseFile(file: string, text: string, opts: ParseOptions = {}): ParseResult {
  const maxBytes = opts.maxBytes ?? MAX_FILE_BYTES;
  const size = Buffer.byteLength(text, "utf8");
  if (size > maxBytes) return { docs: [], issues: [tooLarge(file, size, maxBytes)] };

  const lc = new LineCounter();
  const docs: ParsedDoc[] = [];
  const issues: Issue[] = [];
  const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  for (const doc of parsed) {
    const origin = makeOrigin(file, doc, lc);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const p = lc.linePos(e.pos[0]);
        issues.push({ file, line: p.line, col: p.col, path: "", message: `YAML syntax error: ${firstLine(e.message)}` });
      }
      continue;
    }
    const data = toData(doc, opts.maxAliasCount ?? MAX_ALIAS_COUNT, origin, lc, issues);
    if (data === undefined || data === null) continue; // an empty document (`---` or only comments)
    if (typeof data !== "object" || Array.isArray(data)) {
      issues.push(
        issueAt(origin, [], `a document must be a mapping with apiVersion, kind, metadata and spec, got ${Array.isArray(data) ? "a list" : `a ${typeof data}`}`),
      );
      continue;
    }
    const obj = data as JsonObject;
    const kind = checkHeader(obj, origin, issues);
    if (kind) docs.push({ kind, data: obj, origin });
  }
  return { docs, issues };
}

export function tooLarge(file: string, size: number, maxBytes = MAX_FILE_BYTES): Issue {
  return {
    ...issueAt(fileOrigin(file), [], ""),
    message: `file is ${size} bytes, over the limit of ${maxBytes} bytes (1 MiB); split it into smaller files`,
  };
}

function toData(doc: Document.Parsed, maxAliasCount: number, origin: Origin, lc: LineCounter, issues: Issue[]): unknown {
  try {
    return doc.toJS({ maxAliasCount });
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      const pos = firstAliasPos(doc, lc) ?? origin.pos([]);
      issues.push({
        file: origin.file,
        ...pos,
        path: "",
        message: `YAML aliases expand too much (more than ${maxAliasCount} alias expansions): refused as a resource-exhaustion ("billion laughs") attack; write the values out instead of nesting aliases`,
      });
      return undefined;
    }
    const msg = err instanceof Error ? err.message : String(err);
    issues.push(issueAt(origin, [], `YAML cannot be read: ${firstLine(msg)}`));
    return undefined;
  }
}

function firstAliasPos(doc: Document.Parsed, lc: LineCounter): { line: number; col: number } | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias(_k, node) {
      if (isAlias(node) && node.range) {
        found = node.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (found === undefined) return undefined;
  const p = lc.linePos(found);
  return { line: p.line, col: p.col };
}

function checkHeader(obj: JsonObject, origin: Origin, issues: Issue[]): Kind | undefined {
  let ok = true;
  if (obj.apiVersion === undefined) {
    issues.push(issueAt(origin, [], `missing apiVersion: every berth document starts with apiVersion: ${API_VERSION}`));
    ok = false;
  } else if (obj.apiVersion !== API_VERSION) {
    issues.push(issueAt(origin, ["apiVersion"], `unknown apiVersion ${JSON.stringify(obj.apiVersion)}: must be ${API_VERSION}`));
    ok = false;
  }
  const kind = obj.kind;
  if (kind === undefined) {
    issues.push(issueAt(origin, [], `missing kind: must be one of ${list(KINDS)}`));
    return undefined;
  }
  if (typeof kind !== "string" || !(KINDS as readonly string[]).includes(kind)) {
    issues.push(issueAt(origin, ["kind"], `unknown kind ${JSON.stringify(kind)}: must be one of ${list(KINDS)}`));
    return undefined;
  }
  return ok ? (kind as Kind) : undefined;
}

function firstLine(s: string): string {
  return s.split("\n")[0]?.trim() ?? s;
}
