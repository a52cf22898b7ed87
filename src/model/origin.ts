// Maps a field path inside a parsed YAML document to a line and column, so
// every later rule can still say where the offending field is.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";
import type { Origin } from "./types.ts";

type Pos = { line: number; col: number };

/** Field path as users read it: `spec.components[2].version`. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/**
 * The Origin of one document. A path that exists points at its value (or its
 * key when the value is empty); a path that does not exist points at the key
 * of the nearest parent that does.
 */
export function makeOrigin(file: string, doc: Document.Parsed, lc: LineCounter): Origin {
  const at = (offset: number | undefined): Pos | undefined => {
    if (offset === undefined) return undefined;
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const docStart = at(doc.contents?.range?.[0] ?? doc.range[0]) ?? { line: 1, col: 1 };
  return {
    file,
    pos(path) {
      let node: unknown = doc.contents;
      let keyPos: Pos | undefined;
      let valuePos: Pos | undefined = at((node as Node | null)?.range?.[0]);
      for (let i = 0; i < path.length; i++) {
        if (isAlias(node)) node = node.resolve(doc);
        const step = path[i];
        let next: unknown;
        let nextKeyPos: Pos | undefined;
        if (isMap(node)) {
          const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(step));
          if (!pair) return keyPos ?? valuePos ?? docStart;
          nextKeyPos = at((pair.key as Node).range?.[0]);
          next = pair.value;
        } else if (isSeq(node) && typeof step === "number" && step < node.items.length) {
          next = node.items[step];
          nextKeyPos = at((next as Node | null)?.range?.[0]);
        } else {
          return keyPos ?? valuePos ?? docStart;
        }
        node = next;
        keyPos = nextKeyPos ?? keyPos;
        valuePos = at((next as Node | null)?.range?.[0]) ?? nextKeyPos;
      }
      // a mapping or list is best shown at its key (`traits:`), a scalar at its value
      if ((isMap(node) || isSeq(node)) && keyPos && typeof path[path.length - 1] === "string") return keyPos;
      return valuePos ?? keyPos ?? docStart;
    },
  };
}

/** An Origin for issues that belong to a whole file (size, unreadable). */
export function fileOrigin(file: string, line = 1, col = 1): Origin {
  return { file, pos: () => ({ line, col }) };
}
