// Whether an orphan (a release berth owns that git no longer declares) is
// pruned. The revision being applied decides for every application it holds;
// for an application gone from git, the last revision that declared it does —
// which the cluster remembers in a small record per application, because a
// revision that changes only `prune` changes no release (no helm call, so no
// release label moves). The label a release got when last applied is the
// last fallback (a release applied before records existed). Pure.
import type { ObservedRelease } from "./observed.ts";
import { latestRevision } from "./observed.ts";

/** An application as the revision being applied declares it. */
export interface AppDeclaration {
  prune: boolean;
  namespace: string;
}

/** berth's record of one application on one cluster: the prune setting of the latest revision that declared it. */
export interface AppRecord {
  application: string;
  /** Where the record is kept (a ConfigMap in this namespace). */
  namespace: string;
  prune: boolean;
  /** The revision that wrote it. */
  commit?: string;
  writtenAt?: string; // ISO time
}

export type PruneSource = "revision" | "record" | "label";

export interface PruneDecision {
  prune: boolean;
  source: PruneSource;
}

export interface PruneInput {
  /** Every application of the revision being applied, placed on this cluster or not. */
  declared: ReadonlyMap<string, AppDeclaration>;
  /** What the cluster recorded, by application (see newestRecords). */
  recorded: ReadonlyMap<string, AppRecord>;
}

export type PruneDecider = (release: ObservedRelease) => PruneDecision;

export function pruneDecider(i: PruneInput): PruneDecider {
  return (release) => {
    const app = release.application;
    if (app !== undefined) {
      const declared = i.declared.get(app);
      if (declared) return { prune: declared.prune, source: "revision" };
      const recorded = i.recorded.get(app);
      if (recorded) return { prune: recorded.prune, source: "record" };
    }
    return { prune: release.prune, source: "label" };
  };
}

/** The decision as an orphan's reason says it. */
export function pruneReason(d: PruneDecision, application: string | undefined): string {
  const app = application ? `application ${application}` : "its application";
  switch (d.source) {
    case "revision":
      return d.prune ? "no longer declared in git and its application prunes" : "no longer declared in git; kept (prune is off)";
    case "record":
      return d.prune
        ? `${app} is no longer in git, and the last revision that declared it set prune: true`
        : `${app} is no longer in git; kept (the last revision that declared it set prune: false)`;
    case "label":
      return d.prune
        ? `no longer declared in git, and ${app} pruned when this release was last applied`
        : `no longer declared in git; kept (${app} did not prune when this release was last applied)`;
  }
}

/** One record per application: the newest, should two namespaces hold one (a record left from a concurrent write). */
export function newestRecords(records: readonly AppRecord[]): Map<string, AppRecord> {
  const out = new Map<string, AppRecord>();
  for (const r of records) {
    const prev = out.get(r.application);
    if (!prev || (r.writtenAt ?? "") > (prev.writtenAt ?? "")) out.set(r.application, r);
  }
  return out;
}

export interface RecordWritesInput extends PruneInput {
  /** Every release found on the cluster. */
  observed: readonly ObservedRelease[];
}

/** A record to write: the application, where, and the value. */
export type RecordWrite = Pick<AppRecord, "application" | "namespace" | "prune">;

/**
 * The records this revision must write on a cluster so that, once an
 * application is removed from git, the cluster still knows what its last
 * revision said. Nothing when the cluster already says it, so a pass that
 * changes nothing writes nothing:
 * - a record exists: write when its value differs (it outranks the labels);
 * - no record: write only when some live release of the application carries
 *   another value in its label; a release this pass installs or upgrades gets
 *   the revision's value in its label anyway.
 * A record goes where one already is, else beside the application's releases
 * (a namespace that exists), never creating a namespace.
 */
export function recordWrites(i: RecordWritesInput): RecordWrite[] {
  const live = new Map<string, ObservedRelease[]>();
  for (const o of i.observed) {
    if (!o.managed || !o.application || latestRevision(o)?.status === "uninstalled") continue;
    const list = live.get(o.application) ?? [];
    list.push(o);
    live.set(o.application, list);
  }
  const out: RecordWrite[] = [];
  for (const [application, d] of [...i.declared].sort(([a], [b]) => a.localeCompare(b))) {
    const recorded = i.recorded.get(application);
    if (recorded) {
      if (recorded.prune !== d.prune) out.push({ application, namespace: recorded.namespace, prune: d.prune });
      continue;
    }
    const releases = (live.get(application) ?? []).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
    if (releases.some((r) => r.prune !== d.prune)) {
      const beside = releases.find((r) => r.namespace === d.namespace) ?? releases[0]!;
      out.push({ application, namespace: beside.namespace, prune: d.prune });
    }
  }
  return out;
}
