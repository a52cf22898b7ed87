// What a pass tells its Notifications, as plain values: each release that
// failed, was blocked or succeeded, each wave that waits for an approval, each
// release whose live objects drifted. Pure: a RunReport (or a drift run) in,
// events out; who hears of which is filter.ts, how often is event-id.ts.
import type { AppRollout } from "../plan/waves.ts";
import { createHash } from "node:crypto";
import type { NotificationEvent } from "../model/types.ts";
import type { DriftReport } from "../reconcile/drift-check.ts";
import type { ClusterResult } from "../reconcile/cluster.ts";
import type { ActionRecord, RecordKind } from "../reconcile/memo.ts";
import type { ReleaseResult } from "../reconcile/release.ts";

/** One thing that happened, before any Notification decides who hears of it. */
export interface NotifyEvent {
  event: NotificationEvent;
  /** The cluster it concerns, where what was sent is remembered (waiting-approval: the wave's first cluster). */
  cluster: string;
  /** waiting-approval: every cluster of the wave (a Notification naming any of them hears of it). */
  clusters?: string[];
  application?: string;
  release?: string;
  namespace?: string;
  /** The commit the pass applied (drift: the one last applied). */
  revision?: string;
  action?: RecordKind;
  fromVersion?: string;
  toVersion?: string;
  /** Why: a failure's error, a block's reason, a wave's wait, the drifted fields. */
  reason?: string;
  /** waiting-approval: the wave (1-based). */
  wave?: number;
  /** When it happened (the action's start, the wait's start, the check). */
  at: string;
  /**
   * What makes it this event and no other, stable across passes, restarts
   * and replicas: the event, cluster and release, the desired digest, and the
   * action's record (its kind and start time, as the release's memo keeps it).
   */
  key: string;
}

/** The rollout of one application as the loop reports it (RunReport.rollout). */
export type RolloutView = AppRollout;

/** The parts of a RunReport events come from (structural, so a test builds one by hand). */
export interface PassView {
  revision?: string;
  clusters: ClusterResult[];
  rollout?: RolloutView[];
}

const short = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);
/** A reason that counts down (`retry 2 of 5 in 17s`) is the same reason on the next pass. */
const steady = (reason: string) => reason.replace(/\bin \d+s\b/g, "in <n>s");

const CHANGES: ReadonlySet<RecordKind> = new Set<RecordKind>(["install", "upgrade", "adopt"]);

function releaseEvent(cluster: string, revision: string | undefined, r: ReleaseResult, now: string): NotifyEvent | undefined {
  const base = {
    cluster,
    ...(r.application ? { application: r.application } : {}),
    release: r.name,
    namespace: r.namespace,
    ...(revision ? { revision } : {}),
  };
  const digest = r.final.digest ?? "-";
  const id = (event: string, rest: string) => `${event}|${cluster}|${r.namespace}/${r.name}|${digest}|${rest}`;
  const fields = (rec: ActionRecord) => ({
    action: rec.action,
    ...(rec.fromVersion ? { fromVersion: rec.fromVersion } : {}),
    ...(rec.toVersion ? { toVersion: rec.toVersion } : {}),
    at: rec.at,
  });
  if (r.outcome === "failed") {
    const rec = r.records.find((x) => x.result === "failed");
    return { ...base, event: "failed", reason: r.reason, ...(rec ? fields(rec) : { at: now }), key: id("failed", rec ? `${rec.action}@${rec.at}` : `reason:${short(steady(r.reason))}`) };
  }
  if (r.outcome === "blocked") {
    // a release waiting out its retry backoff was already told of as failed
    if (/^retry \d+ of \d+ in \d+s/.test(r.reason)) return undefined;
    return { ...base, event: "blocked", reason: r.reason, at: now, key: id("blocked", `reason:${short(steady(r.reason))}`) };
  }
  if (r.outcome === "applied") {
    const rec = r.records.findLast((x) => CHANGES.has(x.action));
    if (!rec || rec.result !== "succeeded" || r.records.at(-1)?.result === "failed") return undefined;
    return { ...base, event: "succeeded", ...fields(rec), key: id("succeeded", `${rec.action}@${rec.at}`) };
  }
  return undefined;
}

/** Every release event of one pass, clusters and releases in the report's order. */
export function passEvents(pass: PassView, now = new Date().toISOString()): NotifyEvent[] {
  const out: NotifyEvent[] = [];
  for (const c of pass.clusters) {
    if (!c.reachable) continue;
    for (const r of c.releases) {
      const e = releaseEvent(c.cluster, pass.revision, r, now);
      if (e) out.push(e);
    }
  }
  for (const app of pass.rollout ?? []) {
    for (const w of app.waves) {
      if (w.state !== "waiting" || w.waitingFor !== "approval" || w.clusters.length === 0) continue;
      const clusters = [...w.clusters].sort();
      out.push({
        event: "waiting-approval",
        cluster: clusters[0]!,
        clusters,
        application: app.application,
        revision: app.revision,
        wave: w.index,
        reason: w.reason ?? `wave ${w.index} waits for \`berth approve ${app.application} --wave ${w.index}\``,
        at: w.since ?? now,
        // one approval belongs to one revision: a new revision waits (and is told of) anew
        key: `waiting-approval|${app.application}|${app.revision}|wave ${w.index}`,
      });
    }
  }
  return out;
}

/** A drift check's releases that differ from what Helm applied. */
export function driftEvents(reports: readonly DriftReport[], revision: string | undefined, now = new Date().toISOString()): NotifyEvent[] {
  return reports
    .filter((d) => d.error === undefined && d.count > 0)
    .map((d) => {
      // field paths only: the values (expected, live) may be anything, secrets included
      const fields = d.drifted.flatMap((o) => (o.missing || o.fields.length === 0 ? [`${o.kind}/${o.name}`] : o.fields.map((f) => `${o.kind}/${o.name}: ${f.path}`)));
      return {
        event: "drift" as const,
        cluster: d.cluster,
        application: d.application,
        release: d.release,
        namespace: d.namespace,
        ...(revision ? { revision } : {}),
        reason: `${d.count} field${d.count === 1 ? "" : "s"} differ from what Helm applied${d.corrected ? ` (correction ${d.corrected})` : ""}: ${fields.slice(0, 10).join(", ")}${fields.length > 10 ? ", ..." : ""}`,
        at: now,
        // the same drift of the same Helm revision is told once; a new field or a new revision is news
        key: `drift|${d.cluster}|${d.namespace}/${d.release}|${d.revision ?? "-"}|${short(fields.sort().join("\n"))}`,
      };
    });
}
