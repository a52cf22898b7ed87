// Dependency levels: which releases can go together, left to right. A
// release that needs nothing (among those given) is at level 0, any other one
// level past the highest of what it needs, so each level waits only on the
// ones before it. Pure; what the page draws its dependency picture from.

/**
 * The level of every release of `needs`. A need that is not a key is outside
 * the picture and ignored; a cycle (which the plan refuses anyway) is cut where
 * it closes, so every release still gets a level.
 */
export function dependencyLevels(needs: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    visiting.add(name);
    let l = 0;
    for (const dep of needs.get(name) ?? []) {
      if (!needs.has(dep) || visiting.has(dep)) continue;
      l = Math.max(l, visit(dep) + 1);
    }
    visiting.delete(name);
    level.set(name, l);
    return l;
  };
  for (const name of [...needs.keys()].sort()) visit(name);
  return level;
}

/** The releases per level, each level sorted by name. */
export function byLevel(levels: ReadonlyMap<string, number>): string[][] {
  const out: string[][] = [];
  for (const [name, l] of levels) (out[l] ??= []).push(name);
  return Array.from(out, (names) => (names ?? []).sort());
}
