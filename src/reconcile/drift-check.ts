// Drift, with I/O: for each release berth placed on a cluster, read what Helm
// applied (one storage read) and the live objects, compare (drift.ts), and
// under `drift: correct` put the drifted objects back (correct-drift.ts).
// The loop or `berth serve` calls checkDrift periodically, between reconciles
// (never concurrently with one: both write the release's records).
import { basename } from "node:path";
import pLimit from "p-limit";
import type { KubeClient } from "../adapters/kube.ts";
import type { Logger } from "../log.ts";
import type { Repo, ReleaseSpec } from "../model/types.ts";
import { withActing, type ActingAs } from "./context.ts";
import { correctDrift } from "./correct-drift.ts";
import { autoscalerOn, detectDrift, driftCount, objectKey, parseManifest, type ObjectDrift } from "./drift.ts";

export type DriftPolicy = "report" | "correct";

export interface DriftReport {
  cluster: string;
  application: string;
  release: string;
  namespace: string;
  policy: DriftPolicy;
  /** The Helm revision compared against; absent when nothing is deployed. */
  revision?: number;
  /** What differed when checked (before any correction). */
  drifted: ObjectDrift[];
  /** Drifted fields found (a missing object counts as one). */
  count: number;
  /** Whether a correction ran, and how it ended. */
  corrected?: "succeeded" | "failed";
  /** The check itself failed (cluster unreachable, storage unreadable). */
  error?: string;
}

export interface DriftTarget {
  name: string;
  paused: boolean;
  kube: KubeClient;
  /** Clients acting as a Project's identity (ClusterTarget.as): its releases are corrected as that identity. */
  as?: ActingAs;
}

export interface CheckDriftOptions {
  log: Logger;
  /** The revision the desired releases come from (kept in correct-drift records). */
  commit?: string;
  /** Called once per checked release with the drift left after this check (0 once corrected). */
  onDrift?: (cluster: string, release: string, count: number) => void;
  /** The helm binary berth runs: its base name is Helm's field manager. Default "helm". */
  helmBinary?: string;
  concurrency?: number;
}

/** Each application's `drift` policy; default report. */
export function driftPolicyOf(repo: Pick<Repo, "applications">): (application: string) => DriftPolicy {
  const m = new Map(repo.applications.map((a) => [a.metadata.name, a.spec.drift ?? "report"]));
  return (application) => m.get(application) ?? "report";
}

export async function checkDrift(
  target: DriftTarget,
  desired: ReleaseSpec[],
  policy: (application: string) => DriftPolicy,
  o: CheckDriftOptions,
): Promise<DriftReport[]> {
  const limit = pLimit(o.concurrency ?? 4);
  const log = o.log.child({ cluster: target.name });
  const releases = desired.filter((r) => r.workloadKind !== "External");
  try {
    await target.kube.ping();
  } catch (err) {
    // One unreachable cluster: say so per release, quickly, and leave the metrics as they were.
    const error = (err as Error).message;
    return releases.map((r) => ({ cluster: target.name, application: r.application, release: r.name, namespace: r.namespace, policy: policy(r.application), drifted: [], count: 0, error }));
  }
  const reports = await Promise.all(
    releases.map((r) =>
      limit(async () => {
        const report = await checkRelease(target, r, policy(r.application), o, log);
        // A check that failed says nothing about drift: the metric keeps its last value.
        const checked = report.error === undefined || report.corrected === "failed";
        if (checked) o.onDrift?.(target.name, r.name, report.corrected === "succeeded" ? 0 : report.count);
        return report;
      }),
    ),
  );
  return reports;
}

async function checkRelease(target: DriftTarget, r: ReleaseSpec, policy: DriftPolicy, o: CheckDriftOptions, log: Logger): Promise<DriftReport> {
  const base = { cluster: target.name, application: r.application, release: r.name, namespace: r.namespace, policy };
  try {
    const deployed = await target.kube.readManifest(r.namespace, r.name);
    if (!deployed) return { ...base, drifted: [], count: 0 };
    const objects = parseManifest(deployed.manifest, r.namespace);
    const live = new Map<string, unknown>();
    for (const obj of objects) {
      const ns = obj.metadata.namespace;
      const got = await target.kube.getObject(obj.apiVersion, obj.kind, ns, obj.metadata.name);
      if (got) live.set(objectKey({ apiVersion: obj.apiVersion, kind: obj.kind, ...(ns ? { namespace: ns } : {}), name: obj.metadata.name }), got);
    }
    const drifted = detectDrift({ objects, live, autoscalerOn: autoscalerOn(deployed.config) });
    const count = driftCount(drifted);
    const report: DriftReport = { ...base, revision: deployed.revision, drifted, count };
    if (count === 0) return report;
    log.warn({ release: r.name, namespace: r.namespace, count, policy }, "drift found");
    // a release git suspends is left as it is: its drift is reported, never corrected
    if (policy !== "correct" || target.paused || r.suspended) return report;
    // A Project that impersonates puts its objects back as that identity, or not at all.
    const who = r.project?.impersonate;
    if (who && !target.as) return { ...report, corrected: "failed", error: `Project ${r.project!.name} acts as ${who.user}, and berth's clients for cluster ${target.name} cannot impersonate; drift left as found` };
    const record = await correctDrift({
      cluster: target.name,
      commit: o.commit ?? "",
      kube: who ? withActing(target.kube, target.as!(who).kube) : target.kube,
      log,
      release: { name: r.name, namespace: r.namespace, application: r.application },
      revision: deployed.revision,
      objects,
      drifted,
      fieldManager: basename(o.helmBinary ?? "helm"),
    });
    return { ...report, corrected: record.result, ...(record.error ? { error: record.error } : {}) };
  } catch (err) {
    log.warn({ release: r.name, err: (err as Error).message }, "drift check failed");
    return { ...base, drifted: [], count: 0, error: (err as Error).message };
  }
}
