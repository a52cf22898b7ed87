// Pure selection helpers shared by validation, the renderer and the planner:
// which clusters an application goes to, which overlays apply there, and
// which Component version a set of ranges picks.
import semver from "semver";
import type { Application, Cluster, Overlay } from "./types.ts";

/** Every label of the selector is on the cluster (an empty selector matches all). */
export function labelsMatch(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** The Helm release an application entry renders: `<application>-<entry>`. */
export const releaseName = (application: string, entry: string): string => `${application}-${entry}`;

const byName = <T extends { metadata: { name: string } }>(a: T, b: T) =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

/**
 * The clusters an application is placed on, in name order. No placement (or
 * neither selector nor names) means every cluster; with both, a cluster is
 * chosen when it matches the selector or is named.
 */
export function clustersFor(app: Application, clusters: readonly Cluster[]): Cluster[] {
  const p = app.spec.placement;
  const hasSelector = p?.clusterSelector !== undefined;
  const hasNames = p?.clusters !== undefined;
  const chosen = clusters.filter((c) => {
    if (!hasSelector && !hasNames) return true;
    if (hasNames && p?.clusters?.includes(c.metadata.name)) return true;
    return hasSelector && labelsMatch(p?.clusterSelector ?? {}, c.metadata.labels);
  });
  return [...chosen].sort(byName);
}

/** Whether an overlay names this cluster (the more specific kind of overlay). */
function namesCluster(o: Overlay, cluster: Cluster): boolean {
  return o.spec.clusters?.includes(cluster.metadata.name) ?? false;
}

/**
 * The overlays of `app` that apply on `cluster`, lowest precedence first:
 * selector overlays (an overlay with neither selector nor names applies
 * everywhere and counts as one), then overlays naming the cluster; each group
 * in name order.
 */
export function overlaysFor(app: Application, cluster: Cluster, overlays: readonly Overlay[]): Overlay[] {
  const mine = overlays.filter((o) => o.spec.application === app.metadata.name);
  const named = mine.filter((o) => namesCluster(o, cluster)).sort(byName);
  const selected = mine
    .filter((o) => !namesCluster(o, cluster))
    .filter((o) => {
      const { clusterSelector, clusters } = o.spec;
      if (clusterSelector !== undefined) return labelsMatch(clusterSelector, cluster.metadata.labels);
      return clusters === undefined; // names only, and not this cluster: does not apply
    })
    .sort(byName);
  return [...selected, ...named];
}

/**
 * Whether a range names a prerelease (`^3.1.0-rc.0`, `>=2.0.0-0`). Read from
 * the text: semver's own parse turns `<2` into `<2.0.0-0`, which asks nothing.
 */
export function asksForPrerelease(range: string): boolean {
  return /(^|[\s=<>^~v|])\d+\.\d+\.\d+-[0-9A-Za-z]/.test(range);
}

/**
 * Whether `version` satisfies every range. A release version follows the usual
 * rules. A prerelease qualifies only when some range asks for prereleases and,
 * under npm's rules, accepts this one (same major.minor.patch as the
 * prerelease it names); the other ranges are then read with prereleases
 * included, so `^3.0.0` plus `>=3.1.0-rc.0` accepts 3.1.0-rc.1 but not
 * 3.2.0-rc.1.
 */
export function satisfiesAll(version: string, ranges: readonly string[]): boolean {
  const v = semver.parse(version);
  if (!v) return false;
  if (ranges.some((r) => semver.validRange(r) === null)) return false;
  if (v.prerelease.length === 0) return ranges.every((r) => semver.satisfies(v, r));
  const asked = ranges.filter(asksForPrerelease);
  if (!asked.some((r) => semver.satisfies(v, r))) return false;
  return ranges.every((r) => semver.satisfies(v, r, { includePrerelease: true }));
}

/** The highest version satisfying every range (see satisfiesAll), or undefined. */
export function pickVersion(versions: readonly string[], ranges: readonly string[]): string | undefined {
  const ok = versions.filter((v) => satisfiesAll(v, ranges));
  return ok.length ? semver.rsort([...ok])[0] : undefined;
}
