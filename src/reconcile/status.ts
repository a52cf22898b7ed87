// What `berth status`, the API and the page show: per cluster and release,
// desired vs deployed version, health, last action, last error.
import type { AppRollout } from "../plan/waves.ts";
import pLimit from "p-limit";
import type { ReleaseSpec } from "../model/types.ts";
import { deployState, type DeployState } from "../plan/deploy-state.ts";
import { observe, type ClusterTarget, type Observation } from "./cluster.ts";
import { lastChange, readBook, REQUEST_KINDS, type ActionRecord } from "./memo.ts";
import type { RuntimeState } from "./runtime-state.ts";

export interface ReleaseStatus {
  name: string;
  namespace: string;
  application?: string;
  desiredVersion?: string;
  deployedVersion?: string;
  helmRevision?: number;
  helmStatus?: string;
  health: "healthy" | "unhealthy" | "absent" | "unknown";
  healthMessage?: string;
  /** At a glance: deploying, succeeded, failed, blocked or stopped, and why (plan/deploy-state.ts). */
  state: DeployState;
  stateReason: string;
  /** Suspended by `berth rollback` until git changes it or `berth resume` (git's own `suspended: true` is state stopped). */
  suspended: boolean;
  lastAction?: Pick<ActionRecord, "action" | "at" | "result" | "fromVersion" | "toVersion" | "commit">;
  lastError?: string;
}

export interface ClusterStatus {
  name: string;
  reachable: boolean;
  since?: string;
  error?: string;
  paused: boolean;
  releases: ReleaseStatus[];
  /** With `serve --shards K`: the shard the cluster is in. */
  shard?: number;
  /** What the cluster stores (berth-applied): the revision it was last fully reconciled to, by which replica, since when. */
  lastAppliedRevision?: string;
  appliedBy?: string;
  appliedSince?: string;
}

export interface StatusSnapshot {
  source: string;
  revision?: string;
  lastAppliedRevision?: string;
  sourceStale?: { since: string; error: string };
  invalidRevision?: { sha: string; errors: string[] };
  clusters: ClusterStatus[];
  /** Each application with waves: what each wave does or waits for, since when. */
  rollout?: AppRollout[];
}

/**
 * Status of one cluster; `seen` (a dry run's observation) spares listing its
 * releases again, and a dry run that found it unreachable spares a second wait.
 */
export interface ClusterStatusOptions {
  runtime?: RuntimeState;
  /** A dry run's observation (or that it found the cluster unreachable). */
  seen?: Observation | { unreachable: string };
  /** Why releases cannot act now, by `cluster/release` (the dry run's plan). */
  blocked?: ReadonlyMap<string, string>;
  now?: () => number;
}

export async function clusterStatus(target: ClusterTarget, desired: ReleaseSpec[], o: ClusterStatusOptions = {}): Promise<ClusterStatus> {
  const { runtime, seen } = o;
  const now = (o.now ?? Date.now)();
  const rt = runtime?.clusters[target.name];
  const base = { name: target.name, paused: target.paused, ...(rt?.since ? { since: rt.since } : {}) };
  if (seen && "unreachable" in seen) return { ...base, reachable: false, error: seen.unreachable, releases: [] };
  try {
    const { observed, books } = seen ?? (await observe(target));
    const names = new Map<string, { spec?: ReleaseSpec; namespace: string }>();
    for (const d of desired) names.set(`${d.namespace}/${d.name}`, { spec: d, namespace: d.namespace });
    for (const o of observed) if (o.managed && !names.has(`${o.namespace}/${o.name}`)) names.set(`${o.namespace}/${o.name}`, { namespace: o.namespace });
    // Health is one GET per workload of a release (its manifest cached per Helm revision): a few releases at a time, in a stable order.
    const limit = pLimit(8);
    const sorted = [...names].sort(([a], [b]) => a.localeCompare(b));
    const releases = await Promise.all(
      sorted.map(([key, { spec, namespace }]) =>
        limit(async (): Promise<ReleaseStatus> => {
          const name = key.slice(namespace.length + 1);
          const obs = observed.find((o) => o.namespace === namespace && o.name === name);
          const latest = obs?.revisions.at(-1);
          const deployed = obs && [...obs.revisions].reverse().find((r) => r.status === "deployed");
          const book = books.get(key) ?? readBook(undefined);
          const last = lastChange(book.records);
          const lastFailure = [...book.records].reverse().find((r) => r.result === "failed" && !REQUEST_KINDS.has(r.action));
          let health: ReleaseStatus["health"] = "absent";
          let healthMessage: string | undefined;
          let scaledToZero = false;
          if (deployed && spec) {
            const h = await target.kube.healthy({ namespace, name, workloadKind: spec.workloadKind, revision: deployed.revision, ...(deployed.digest ? { digest: deployed.digest } : {}) });
            health = h.healthy ? "healthy" : "unhealthy";
            healthMessage = h.message;
            scaledToZero = h.scaledToZero === true;
          } else if (deployed) {
            health = "unknown";
          }
          const lastError = last?.result === "failed" ? lastFailure?.error : undefined;
          const { state, reason } = deployState(
            {
              declared: spec !== undefined,
              ...(spec?.suspended ? { suspendedInGit: spec.suspended } : {}),
              ...(spec ? { desiredVersion: spec.component.version } : {}),
              ...(deployed?.version ? { deployedVersion: deployed.version } : {}),
              ...(latest ? { helmStatus: latest.status } : {}),
              health,
              ...(healthMessage ? { healthMessage } : {}),
              scaledToZero,
              ...(o.blocked?.get(`${target.name}/${name}`) ? { blocked: o.blocked.get(`${target.name}/${name}`)! } : {}),
              ...(last ? { lastAction: { result: last.result, at: last.at } } : {}),
              ...(lastError ? { lastError } : {}),
            },
            now,
          );
          return {
            name,
            namespace,
            ...((spec?.application ?? obs?.application) ? { application: spec?.application ?? obs?.application } : {}),
            ...(spec ? { desiredVersion: spec.component.version } : {}),
            ...(deployed?.version ? { deployedVersion: deployed.version } : {}),
            ...(latest ? { helmRevision: latest.revision, helmStatus: latest.status } : {}),
            health,
            ...(healthMessage ? { healthMessage } : {}),
            state,
            stateReason: reason,
            suspended: Boolean(book.memo.suspendedDigest),
            ...(last ? { lastAction: { action: last.action, at: last.at, result: last.result, commit: last.commit, ...(last.fromVersion ? { fromVersion: last.fromVersion } : {}), ...(last.toVersion ? { toVersion: last.toVersion } : {}) } } : {}),
            ...(lastError ? { lastError } : {}),
          };
        }),
      ),
    );
    return { ...base, reachable: true, releases };
  } catch (err) {
    return { ...base, reachable: false, error: (err as Error).message, releases: [] };
  }
}

/** An application's waves, one line each: `  wave 2 [west] waiting for soak since ... until ...`. */
export function formatRollout(r: AppRollout): string[] {
  const lines = [`application ${r.application}: waves at ${r.revision.slice(0, 12)}`];
  for (const w of r.waves) {
    const gates = [w.soak ? `soak ${w.soak}` : "", w.approval ? "approval" : ""].filter(Boolean).join(", ");
    const waits = w.state === "waiting" ? ` for ${w.waitingFor === "previous-wave" ? "the wave before" : w.waitingFor}${w.since ? ` since ${w.since}` : ""}${w.until ? ` until ${w.until}` : ""}` : w.state === "done" && w.since ? ` since ${w.since}` : "";
    lines.push(`  wave ${w.index} [${w.clusters.join(", ") || "no cluster"}]${gates ? ` (${gates})` : ""}: ${w.state}${waits}${w.reason ? `: ${w.reason}` : ""}`);
  }
  return lines;
}

export function formatStatus(s: StatusSnapshot, blocked: Map<string, string> = new Map()): string {
  const lines: string[] = [];
  lines.push(`source: ${s.source}${s.revision ? ` @ ${s.revision.slice(0, 12)}` : ""}`);
  if (s.sourceStale) lines.push(`  source is stale since ${s.sourceStale.since}: ${s.sourceStale.error}`);
  if (s.invalidRevision) {
    const n = s.invalidRevision.errors.length;
    lines.push(`  revision ${s.invalidRevision.sha.slice(0, 12)} is invalid and was not applied (${n} problem${n === 1 ? "" : "s"}):`);
    for (const e of s.invalidRevision.errors) lines.push(`    ${e}`);
  }
  for (const r of s.rollout ?? []) lines.push("", ...formatRollout(r));
  for (const c of s.clusters) {
    lines.push("");
    const state = c.reachable ? "reachable" : `UNREACHABLE${c.since ? ` since ${c.since}` : ""}: ${c.error}`;
    lines.push(`cluster ${c.name}${c.shard !== undefined ? ` (shard ${c.shard})` : ""}${c.paused ? " (paused)" : ""}: ${state}`);
    if (!c.reachable) continue;
    if (c.lastAppliedRevision) lines.push(`  applied ${c.lastAppliedRevision.slice(0, 12)}${c.appliedBy ? ` by ${c.appliedBy}` : ""}${c.appliedSince ? ` since ${c.appliedSince}` : ""}`);
    const rows = [["RELEASE", "NAMESPACE", "STATE", "DESIRED", "DEPLOYED", "REV", "HEALTH", "LAST ACTION"]];
    for (const r of c.releases) {
      const last = r.lastAction ? `${r.lastAction.action} ${r.lastAction.result}` : "-";
      rows.push([r.name, r.namespace, r.state, r.desiredVersion ?? "-", r.deployedVersion ?? "-", String(r.helmRevision ?? "-"), r.suspended ? `${r.health} (suspended)` : r.health, last]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows) lines.push(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()}`);
    for (const r of c.releases) {
      if (r.state === "stopped") lines.push(`  ${r.name}: stopped: ${r.stateReason}`);
      if (r.health === "unhealthy" && r.healthMessage) lines.push(`  ${r.name}: unhealthy: ${r.healthMessage}`);
      const why = blocked.get(`${c.name}/${r.name}`);
      if (why) lines.push(`  ${r.name}: blocked: ${why}`);
      if (r.lastError) lines.push(`  ${r.name}: last error: ${r.lastError}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
