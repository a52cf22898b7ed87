// Pure: does a release's rendered manifest stay inside its Project? Every
// object of a cluster-scoped kind must be one the Project allows, and every
// namespaced object must land in a namespace the Project's globs match.
// The API server's RBAC (when the Project impersonates) is the enforcement;
// this check refuses what can be seen before anything is applied.
import { parseAllDocuments } from "yaml";
import { apiGroup, BUILT_IN_GROUPS, isClusterScopedKind } from "../model/cluster-scoped.ts";
import { matchesAnyGlob } from "../model/glob.ts";
import type { ReleaseProject } from "../model/types.ts";

export interface ScopeViolation {
  /** `Kind/name`, or `Kind/namespace/name` for a namespaced object. */
  object: string;
  message: string;
}

interface Obj {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { scope?: unknown; names?: { kind?: unknown } };
  items?: unknown;
}

function objects(manifest: string): Obj[] {
  const out: Obj[] = [];
  const add = (o: unknown) => {
    if (!o || typeof o !== "object" || Array.isArray(o)) return;
    const obj = o as Obj;
    // a List's items are applied one by one
    if (typeof obj.kind === "string" && obj.kind.endsWith("List") && Array.isArray(obj.items)) obj.items.forEach(add);
    else if (typeof obj.kind === "string") out.push(obj);
  };
  for (const doc of parseAllDocuments(manifest)) add(doc.toJS());
  return out;
}

const listed = (xs: readonly string[]) => (xs.length ? xs.join(", ") : "none");

/** `apiVersion kind`: how a scope learned from the cluster is keyed. */
export const kindKey = (apiVersion: string, kind: string) => `${apiVersion} ${kind}`;

/** Kinds the chart's own CRDs declare cluster-scoped. */
function chartClusterKinds(objs: readonly Obj[]): Set<string> {
  const out = new Set<string>();
  for (const o of objs) {
    if (o.kind === "CustomResourceDefinition" && o.spec?.scope === "Cluster" && typeof o.spec.names?.kind === "string") out.add(o.spec.names.kind);
  }
  return out;
}

/**
 * The kinds of `manifest` whose scope neither the built-in list nor the
 * chart's own CRDs tell: the cluster's discovery is asked about these.
 */
export function kindsToDiscover(manifest: string): Array<{ apiVersion: string; kind: string }> {
  const objs = objects(manifest);
  const own = chartClusterKinds(objs);
  const out = new Map<string, { apiVersion: string; kind: string }>();
  for (const o of objs) {
    const kind = o.kind as string;
    if (typeof o.apiVersion !== "string" || BUILT_IN_GROUPS.has(apiGroup(o.apiVersion)) || isClusterScopedKind(kind) || own.has(kind)) continue;
    out.set(kindKey(o.apiVersion, kind), { apiVersion: o.apiVersion, kind });
  }
  return [...out.values()];
}

/**
 * Every object of `manifest` (multi-document YAML, as `helm template` prints
 * it) that the Project does not allow. A namespaced object without a
 * namespace goes to the release's namespace, as Helm puts it there.
 * `discovered`: kinds (by kindKey) the cluster says are cluster-scoped.
 */
export function scopeViolations(manifest: string, project: ReleaseProject, releaseNamespace: string, discovered: ReadonlySet<string> = new Set()): ScopeViolation[] {
  const objs = objects(manifest);
  const clusterKinds = chartClusterKinds(objs);
  const allowed = new Set(project.clusterScoped);
  const out: ScopeViolation[] = [];
  for (const o of objs) {
    const kind = o.kind as string;
    const name = typeof o.metadata?.name === "string" ? o.metadata.name : "(no name)";
    if (isClusterScopedKind(kind) || clusterKinds.has(kind) || (typeof o.apiVersion === "string" && discovered.has(kindKey(o.apiVersion, kind)))) {
      if (!allowed.has(kind)) {
        out.push({
          object: `${kind}/${name}`,
          message: `${kind} ${name} is cluster-scoped, and Project ${project.name} allows cluster-scoped kinds: ${listed(project.clusterScoped)} (spec.clusterScoped)`,
        });
      }
      continue;
    }
    const ns = typeof o.metadata?.namespace === "string" && o.metadata.namespace ? o.metadata.namespace : releaseNamespace;
    if (!matchesAnyGlob(project.namespaces, ns)) {
      out.push({
        object: `${kind}/${ns}/${name}`,
        message: `${kind} ${name} is in namespace ${ns}, and Project ${project.name} allows namespaces: ${listed(project.namespaces)} (spec.namespaces)`,
      });
    }
  }
  return out;
}

/** One reason for the release's record and status, naming every object and the Project. */
export function describeViolations(project: ReleaseProject, violations: readonly ScopeViolation[]): string {
  const shown = violations.slice(0, 5).map((v) => v.message);
  const more = violations.length > shown.length ? `; and ${violations.length - shown.length} more` : "";
  return `refused before install: the rendered chart leaves Project ${project.name}: ${shown.join("; ")}${more}; change the chart's values or ask the platform admin to widen the Project`;
}
