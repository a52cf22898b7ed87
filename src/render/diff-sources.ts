// Where each change of `berth diff` comes from. Pure: given both sides'
// repositories, every changed value of a changed release is named with the
// layer and file:line that sets it now (head), or set it before (base) when
// the value is gone; a version move with the ranges that decided the pick.
import type { Repo } from "../model/types.ts";
import type { KeyChange, RangeChange, ReleaseChange, RenderDiff } from "./diff.ts";
import { explainLeaves, type ExplainedRange, type ValueSource } from "./explain.ts";

type Sides = { base: Repo; head: Repo };

export function annotateSources(d: RenderDiff, repos: Sides): RenderDiff {
  return { ...d, releases: d.releases.map((r) => (r.change === "changed" ? annotateRelease(r, repos) : r)) };
}

function annotateRelease(r: ReleaseChange, repos: Sides): ReleaseChange {
  const [cluster, application, entry] = r.key.split("/") as [string, string, string];
  const t = { cluster, release: `${application}/${entry}` };
  const head = explainLeaves(repos.head, t);
  const base = r.values.some((k) => k.change === "removed") || r.version.move !== "none" ? explainLeaves(repos.base, t) : undefined;
  const lookup = (x: typeof head) => {
    const m = new Map((x?.leaves ?? []).map((l) => [l.key.join("."), l.explained.source]));
    return (path: string): ValueSource | undefined => m.get(path) ?? nearest(m, path);
  };
  const now = lookup(head);
  const before = lookup(base);
  const values: KeyChange[] = r.values.map((k) => {
    const source = k.change === "removed" ? before(k.path) : now(k.path);
    return source ? { ...k, source } : k;
  });
  if (r.version.move === "none" || !head) return { ...r, values };
  return { ...r, values, version: { ...r.version, by: movedBy(base?.explanation.version.ranges ?? [], head.explanation.version.ranges) } };
}

/** A key both sides flatten differently (a mapping on one side, a scalar on the other): the first leaf under it, or the closest above it. */
function nearest(m: Map<string, ValueSource>, path: string): ValueSource | undefined {
  for (const [k, v] of m) if (k.startsWith(`${path}.`)) return v;
  const parts = path.split(".");
  for (let n = parts.length - 1; n > 0; n--) {
    const hit = m.get(parts.slice(0, n).join("."));
    if (hit) return hit;
  }
  return undefined;
}

/**
 * What moved the version: the ranges edited, added or removed between the
 * two sides (matched by the field that holds them); when none was (a new
 * version was added inside them), every range of the head.
 */
export function movedBy(base: ExplainedRange[], head: ExplainedRange[]): RangeChange[] {
  const id = (r: ExplainedRange) => `${r.source.kind}/${r.source.name}/${r.source.field}`;
  const before = new Map(base.map((r) => [id(r), r]));
  const now = new Set(head.map(id));
  const edited: RangeChange[] = head.flatMap((r) => {
    const old = before.get(id(r));
    if (old?.range === r.range) return [];
    return [old ? { ...r, change: "changed" as const, was: old.range } : { ...r, change: "added" as const }];
  });
  const removed: RangeChange[] = base.filter((r) => !now.has(id(r))).map((r) => ({ ...r, change: "removed" as const }));
  return edited.length || removed.length ? [...edited, ...removed] : head;
}
