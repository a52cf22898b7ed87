// Building Issues from an Origin and a field path, and ordering them.
import type { Issue } from "../errors.ts";
import { formatPath } from "./origin.ts";
import type { Origin } from "./types.ts";

export type FieldPath = ReadonlyArray<string | number>;

export function issueAt(origin: Origin, path: FieldPath, message: string): Issue {
  const { line, col } = origin.pos(path);
  return { file: origin.file, line, col, path: formatPath(path), message };
}

/** `file:line:col`, for messages that name a second location. */
export function where(origin: Origin, path: FieldPath = []): string {
  const { line, col } = origin.pos(path);
  return `${origin.file}:${line}:${col}`;
}

/** Stable order (file, line, col, message) and no exact duplicates. */
export function sortIssues(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return [...issues]
    .sort((a, b) =>
      a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col || a.message.localeCompare(b.message),
    )
    .filter((i) => {
      const key = `${i.file}\0${i.line}\0${i.col}\0${i.path}\0${i.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** A value as a message shows it: strings quoted, objects compact and short. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `a, b, c` or `(none)`. */
export function list(items: Iterable<string>): string {
  const arr = [...items];
  return arr.length ? arr.join(", ") : "(none)";
}
