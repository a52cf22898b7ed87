// What a person does by hand to one release: read its history, roll it back
// to a Helm revision (suspending automatic reconciliation), resume it.
import { BerthError } from "../errors.ts";
import { releaseDigest } from "../plan/digest.ts";
import type { ReleaseSpec } from "../model/types.ts";
import type { ClusterTarget } from "./cluster.ts";
import { readBook, writeBook, type ReleaseBook } from "./memo.ts";

export interface FoundRelease {
  namespace: string;
  name: string;
  book: ReleaseBook;
}

/**
 * The release `name` berth owns on the cluster. Names are unique per namespace
 * only: `namespace` picks one, else the namespace git places it in now
 * (`desiredNamespace`), else the name must be unambiguous.
 */
export async function findRelease(target: ClusterTarget, name: string, namespace?: string, desiredNamespace?: string): Promise<FoundRelease> {
  const [observed, memos] = await Promise.all([target.kube.listReleases(), target.kube.listMemos()]);
  const candidates = new Set<string>();
  for (const o of observed) if (o.name === name && o.managed && (!namespace || o.namespace === namespace)) candidates.add(o.namespace);
  for (const k of memos.keys()) {
    const [ns, rel] = k.split("/") as [string, string];
    if (rel === name && (!namespace || ns === namespace)) candidates.add(ns);
  }
  if (candidates.size === 0) {
    const known = [...new Set(observed.filter((o) => o.managed).map((o) => o.name))].sort().join(", ");
    throw new BerthError("INVALID_INPUT", `no release ${name} managed by berth on cluster ${target.name}${known ? `; it has ${known}` : ""}`);
  }
  if (candidates.size > 1 && desiredNamespace && candidates.has(desiredNamespace)) {
    return { namespace: desiredNamespace, name, book: readBook(memos.get(`${desiredNamespace}/${name}`)) };
  }
  if (candidates.size > 1) {
    throw new BerthError("INVALID_INPUT", `release ${name} exists in several namespaces on cluster ${target.name} (${[...candidates].join(", ")}); give --namespace`);
  }
  const ns = [...candidates][0]!;
  return { namespace: ns, name, book: readBook(memos.get(`${ns}/${name}`)) };
}

export async function manualRollback(target: ClusterTarget, desired: ReleaseSpec | undefined, rel: FoundRelease, revision: number, commit: string, timeoutMs: number): Promise<ReleaseBook> {
  const observed = await target.kube.getRelease(rel.namespace, rel.name);
  const rev = observed?.revisions.find((r) => r.revision === revision);
  if (!rev) {
    const have = observed?.revisions.map((r) => `${r.revision} (${r.version ?? "?"}, ${r.status})`).join(", ") ?? "none";
    throw new BerthError("INVALID_INPUT", `release ${rel.name} on cluster ${target.name} has no revision ${revision}; it has ${have}`);
  }
  const started = new Date();
  const from = observed?.revisions.at(-1)?.version;
  let error: string | undefined;
  try {
    await target.helm.rollback({ release: rel.name, namespace: rel.namespace, revision, timeoutMs });
  } catch (err) {
    error = (err as Error).message;
  }
  const after = await target.kube.getRelease(rel.namespace, rel.name);
  const book: ReleaseBook = {
    // Suspended against what git asks for now: a new commit that changes the release lifts it.
    memo: { ...rel.book.memo, ...(desired ? { suspendedDigest: releaseDigest(desired) } : { suspendedDigest: "manual" }) },
    records: [
      ...rel.book.records,
      {
        at: started.toISOString(),
        commit,
        cluster: target.name,
        release: rel.name,
        namespace: rel.namespace,
        action: "rollback",
        ...(from ? { fromVersion: from } : {}),
        ...(rev.version ? { toVersion: rev.version } : {}),
        steps: [],
        result: error ? "failed" : "succeeded",
        ...(error ? { error } : {}),
        ...(after?.revisions.at(-1) ? { helmRevision: after.revisions.at(-1)!.revision } : {}),
        durationMs: Date.now() - started.getTime(),
      },
    ],
  };
  await target.kube.writeMemo(rel.namespace, rel.name, writeBook(book));
  if (error) throw new BerthError("ACTION_FAILED", `rollback of ${rel.name} to revision ${revision} failed: ${error}`);
  return book;
}

export async function resume(target: ClusterTarget, rel: FoundRelease): Promise<void> {
  const { suspendedDigest: _s, ...memo } = rel.book.memo;
  await target.kube.writeMemo(rel.namespace, rel.name, writeBook({ ...rel.book, memo: { ...memo, failures: 0 } }));
}
