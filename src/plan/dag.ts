// The dependency graph of the releases on one cluster: `dependsOn` edges
// within an application and `requires` edges to whatever release on the same
// cluster runs a matching version of the named component. Pure.
import semver from "semver";
import type { ReleaseSpec } from "../model/types.ts";

export interface ReleaseGraph {
  /** Release -> the releases it needs healthy first (sorted). */
  needs: Map<string, string[]>;
  /** Release -> why it cannot run at all (unmet requires, cycle). */
  unmet: Map<string, string>;
  /** Every release, dependencies before dependents, ties by name. */
  order: string[];
}

/** A release satisfies `requires` when it runs the component at a version in range; an external stand-in always does. */
function satisfies(spec: ReleaseSpec, component: string, range: string): boolean {
  if (spec.component.name !== component) return false;
  if (spec.external) return true;
  return semver.satisfies(spec.component.version, range, { includePrerelease: true });
}

export function buildGraph(specs: ReleaseSpec[]): ReleaseGraph {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const needs = new Map<string, string[]>();
  const unmet = new Map<string, string>();
  for (const s of specs) {
    const edges = new Set<string>();
    for (const d of s.dependsOn) {
      if (byName.has(d)) edges.add(d);
      else unmet.set(s.name, `depends on ${d}, which is not placed on cluster ${s.cluster}`);
    }
    for (const r of s.requires) {
      const found = specs.filter((o) => o.name !== s.name && satisfies(o, r.component, r.range));
      if (found.length === 0) {
        const others = specs.filter((o) => o.component.name === r.component && o.name !== s.name);
        const seen = others.length
          ? `; found ${others.map((o) => `${o.name} at ${o.component.version}`).join(", ")}`
          : "; no release of it is placed there";
        const at = s.declared?.requires[r.component];
        unmet.set(s.name, `requires ${r.component} "${r.range}" on cluster ${s.cluster}${seen}${at ? ` (${at})` : ""}`);
      }
      for (const o of found) edges.add(o.name);
    }
    needs.set(s.name, [...edges].sort());
  }
  const { order, cyclic } = topoSort(needs);
  for (const [name, cycle] of cyclic) unmet.set(name, `dependency cycle: ${cycle.join(" -> ")}`);
  return { needs, unmet, order };
}

/** Kahn's algorithm with a sorted ready set, so the order is stable. */
function topoSort(needs: Map<string, string[]>): { order: string[]; cyclic: Map<string, string[]> } {
  const remaining = new Map([...needs].map(([k, v]) => [k, new Set(v)]));
  const order: string[] = [];
  for (;;) {
    const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([k]) => k).sort();
    if (ready.length === 0) break;
    for (const r of ready) {
      order.push(r);
      remaining.delete(r);
      for (const deps of remaining.values()) deps.delete(r);
    }
  }
  const cyclic = new Map<string, string[]>();
  for (const name of [...remaining.keys()].sort()) {
    cyclic.set(name, findCycle(name, remaining));
    order.push(name);
  }
  return { order, cyclic };
}

function findCycle(start: string, graph: Map<string, Set<string>>): string[] {
  const path: string[] = [start];
  const seen = new Set(path);
  let cur = start;
  for (;;) {
    const next = [...(graph.get(cur) ?? [])].sort()[0];
    if (next === undefined) return path;
    if (seen.has(next)) return [...path.slice(path.indexOf(next)), next];
    path.push(next);
    seen.add(next);
    cur = next;
  }
}

/** Every release that transitively needs `name`. */
export function dependentsOf(graph: ReleaseGraph, name: string): string[] {
  const out = new Set<string>();
  const visit = (n: string) => {
    for (const [k, deps] of graph.needs) {
      if (deps.includes(n) && !out.has(k)) {
        out.add(k);
        visit(k);
      }
    }
  };
  visit(name);
  return [...out].sort();
}
