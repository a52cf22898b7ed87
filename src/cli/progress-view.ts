// What the progress of a pass looks like: the state the reconciler's events
// build up, the live block a terminal redraws (frame) and the one-line-per-event
// form for logs (lineFor). Pure: the clock is passed in.
import type { ClusterWork, ProgressEvent, WaitVia } from "../reconcile/progress.ts";
import type { RecordKind } from "../reconcile/memo.ts";
import type { ReleaseOutcome } from "../reconcile/release.ts";

export interface ClusterProgress {
  name: string;
  /** What the pass does there now (drift reads a cluster before it checks it). */
  work?: ClusterWork;
  startedAt?: number;
  endedAt?: number;
  total?: number;
  changing?: number;
  /** Releases finished (reconcile) or checked (drift). */
  done: number;
  outcomes: Record<ReleaseOutcome, number>;
  drifted: number;
  running: Map<string, { action: string; since: number }>;
  /** By release ("" for the cluster itself): what it waits on. */
  waiting: Map<string, Array<{ name: string; via: WaitVia }>>;
  reachable?: boolean;
  error?: string;
}

export interface ProgressState {
  startedAt: number;
  clusters: Map<string, ClusterProgress>;
}

export const newProgress = (startedAt: number): ProgressState => ({ startedAt, clusters: new Map() });

const fresh = (name: string): ClusterProgress => ({ name, done: 0, outcomes: { unchanged: 0, applied: 0, failed: 0, blocked: 0 }, drifted: 0, running: new Map(), waiting: new Map() });

function clusterOf(s: ProgressState, name: string): ClusterProgress {
  let c = s.clusters.get(name);
  if (!c) s.clusters.set(name, (c = fresh(name)));
  return c;
}

/** Folds one event into the state (the renderer's own, so it is changed in place). */
export function applyEvent(s: ProgressState, e: ProgressEvent, now: number): void {
  const c = clusterOf(s, e.cluster);
  switch (e.kind) {
    case "cluster-start":
      s.clusters.set(e.cluster, { ...fresh(e.cluster), work: e.work, startedAt: now });
      return;
    case "cluster-planned":
      c.total = e.total;
      c.changing = e.changing;
      return;
    case "waiting":
      c.waiting.set(e.release ?? "", e.on);
      return;
    case "release-start":
      c.waiting.delete(e.release);
      c.running.set(e.release, { action: e.action, since: now });
      return;
    case "release-done":
      c.waiting.delete(e.release);
      c.running.delete(e.release);
      c.done++;
      c.outcomes[e.result]++;
      return;
    case "release-checked":
      c.done++;
      if (e.drifted > 0) c.drifted++;
      return;
    case "cluster-done":
      c.endedAt = now;
      c.reachable = e.reachable;
      if (e.error) c.error = e.error;
      c.running.clear();
      c.waiting.clear();
  }
}

export function seconds(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

const firstLine = (s: string) => s.split("\n")[0]!.trim();

/** Past tense of every kind a record can hold (the compiler asks for a new one). */
const PAST: Record<RecordKind, string> = {
  install: "installed",
  adopt: "adopted",
  upgrade: "upgraded",
  rollback: "rolled back",
  remediate: "remediated",
  unlock: "unlocked",
  uninstall: "uninstalled",
  "correct-drift": "corrected drift",
  restart: "restarted",
  sync: "synced",
  resume: "resumed",
};

const versions = (from?: string, to?: string) => (from && to ? ` ${from} -> ${to}` : to ? ` ${to}` : "");
const waitList = (on: Array<{ name: string; via: WaitVia }>) => on.map((w) => (w.via === "canary" ? `canary cluster ${w.name}` : w.via === "wave" ? `an earlier wave of ${w.name}` : `${w.name} (${w.via})`)).join(", ");

/** `east shop-api upgraded 1.0.0 -> 1.1.0 (2.1 s)`; failed and blocked releases say why. */
export function releaseLine(e: Extract<ProgressEvent, { kind: "release-done" }>): string {
  const head = `${e.cluster} ${e.release}`;
  const took = e.ms > 0 ? ` (${seconds(e.ms)})` : "";
  if (e.result === "blocked") return `${head} blocked: ${firstLine(e.reason ?? "")}`;
  const acts = e.actions.join(", ");
  if (e.result === "failed") return `${head} failed${acts ? ` to ${acts}` : ""}${versions(e.from, e.to)}${took}: ${firstLine(e.reason ?? "")}`;
  if (e.result === "unchanged") return `${head} unchanged`;
  return `${head} ${e.actions.map((a) => PAST[a]).join(", ")}${versions(e.from, e.to)}${took}`;
}

/** How a cluster's part ended, or how far it is, as the tail of its line. */
function clusterSummary(c: ClusterProgress, now: number): string {
  const took = seconds((c.endedAt ?? now) - (c.startedAt ?? now));
  if (c.reachable === false) return `UNREACHABLE: ${firstLine(c.error ?? "")} (${took})`;
  const of = (n: number) => (c.total === undefined ? `${n}` : `${n}/${c.total}`);
  if (c.startedAt === undefined) {
    const w = c.waiting.get("");
    return w ? `waiting on ${waitList(w)}` : "waiting";
  }
  if (c.work === "read") {
    if (c.endedAt === undefined || c.total === undefined) return `reading (${took})`;
    return `${c.total} release${c.total === 1 ? "" : "s"} read, ${c.changing ? `${c.changing} to change` : "nothing to change"} (${took})`;
  }
  if (c.work === "drift") return `${of(c.done)} checked, ${c.drifted} drifted (${took})`;
  if (c.total === undefined) return `reading (${took})`;
  const done = c.endedAt !== undefined ? c.total : c.done;
  const o = c.outcomes;
  const parts: string[] = [];
  for (const k of ["applied", "failed", "blocked"] as const) if (o[k]) parts.push(`${o[k]} ${k}`);
  if (c.endedAt !== undefined) parts.push(`${c.total - o.applied - o.failed - o.blocked} unchanged`);
  else if (c.running.size) parts.push(`${c.running.size} running`);
  return `${of(done)} done${parts.length ? `: ${parts.join(", ")}` : ""} (${took})`;
}

export interface FrameOptions {
  title: string;
  now: number;
  /** Lines are cut to this width so that none wraps (a wrapped line would break the redraw). */
  columns?: number;
  /** Running and waiting releases shown per cluster; the rest are counted. */
  detail?: number;
}

/** The live block: a title with the elapsed time, then per cluster its line and what runs and waits there. */
export function frame(s: ProgressState, o: FrameOptions): string[] {
  const width = Math.max(...[...s.clusters.keys()].map((n) => n.length), 0);
  const detail = o.detail ?? 5;
  const lines = [`berth ${o.title}  ${seconds(o.now - s.startedAt)}`];
  for (const c of [...s.clusters.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`  ${c.name.padEnd(width)}  ${clusterSummary(c, o.now)}`);
    const sub = [
      ...[...c.running].map(([r, x]) => `${r} ${x.action} (${seconds(o.now - x.since)})`),
      ...[...c.waiting].filter(([r]) => r !== "").map(([r, on]) => `${r} waits on ${waitList(on)}`),
    ];
    for (const l of sub.slice(0, detail)) lines.push(`    ${l}`);
    if (sub.length > detail) lines.push(`    … and ${sub.length - detail} more`);
  }
  const cut = o.columns && o.columns > 1 ? o.columns - 1 : undefined;
  return cut ? lines.map((l) => (l.length > cut ? `${l.slice(0, cut - 1)}…` : l)) : lines;
}

/** Lines mode: what an event adds to a log, if anything (after applyEvent). Unchanged releases are only counted. */
export function lineFor(s: ProgressState, e: ProgressEvent, now: number): string | undefined {
  const work = s.clusters.get(e.cluster)?.work;
  switch (e.kind) {
    case "waiting":
      return e.release === undefined ? `${e.cluster} waits on ${waitList(e.on)}` : undefined;
    case "cluster-planned":
      if (work === "reconcile") return `${e.cluster}: ${e.total} release${e.total === 1 ? "" : "s"}, ${e.changing ? `${e.changing} to change` : "nothing to change"}`;
      return work === "drift" ? `${e.cluster}: checking ${e.total} release${e.total === 1 ? "" : "s"}` : undefined;
    case "release-done":
      return e.result === "unchanged" ? undefined : releaseLine(e);
    case "release-checked":
      return e.drifted > 0 ? `${e.cluster} ${e.release}: ${e.drifted} field${e.drifted === 1 ? "" : "s"} drifted` : undefined;
    case "cluster-done": {
      const c = s.clusters.get(e.cluster);
      return c ? `${e.cluster}: ${clusterSummary(c, now)}` : undefined;
    }
    default:
      return undefined;
  }
}
