// A small unified diff of two texts (LCS over lines). Chart files are a few
// hundred lines at most, so the quadratic table is cheap and the code short.

type Op = { kind: " " | "-" | "+"; line: string };

function ops(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as Uint32Array;
    const next = lcs[i + 1] as Uint32Array;
    for (let j = m - 1; j >= 0; j--) {
      row[j] = a[i] === b[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
    }
  }
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ kind: " ", line: a[i++] as string });
      j++;
    } else if (i < n && (j === m || (lcs[i + 1]?.[j] as number) >= (lcs[i]?.[j + 1] as number))) {
      out.push({ kind: "-", line: a[i++] as string });
    } else {
      out.push({ kind: "+", line: b[j++] as string });
    }
  }
  return out;
}

const lines = (s: string) => (s === "" ? [] : s.replace(/\n$/, "").split("\n"));

/** Unified diff hunks (without file headers); "" when the texts are equal. */
export function unifiedDiff(before: string, after: string, context = 3): string {
  if (before === after) return "";
  const all = ops(lines(before), lines(after));
  const changed = all.map((o, k) => (o.kind === " " ? -1 : k)).filter((k) => k >= 0);
  const hunks: string[] = [];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && (changed[end + 1] as number) - (changed[end] as number) <= 2 * context) end++;
    const from = Math.max(0, (changed[start] as number) - context);
    const to = Math.min(all.length, (changed[end] as number) + context + 1);
    let aLine = 1;
    let bLine = 1;
    for (let k = 0; k < from; k++) {
      if (all[k]?.kind !== "+") aLine++;
      if (all[k]?.kind !== "-") bLine++;
    }
    const slice = all.slice(from, to);
    const aLen = slice.filter((o) => o.kind !== "+").length;
    const bLen = slice.filter((o) => o.kind !== "-").length;
    hunks.push(`@@ -${aLen ? aLine : aLine - 1},${aLen} +${bLen ? bLine : bLine - 1},${bLen} @@`);
    for (const o of slice) hunks.push(`${o.kind}${o.line}`);
    start = end + 1;
  }
  return `${hunks.join("\n")}\n`;
}
