// An application's rollout as a value: its waves in order, and from what the
// clusters say of each wave (applied, healthy, since when, approved) which
// waves may change now and what the others wait for. Pure: the loop reads the
// clusters, runs the clusters, and stores what this decides.
import { parseDuration } from "../model/duration.ts";
import { clustersFor, labelsMatch } from "../model/select.ts";
import type { Application, Cluster } from "../model/types.ts";

export interface PlannedWave {
  /** 1-based, as `berth approve --wave N` names it. */
  index: number;
  clusters: string[];
  soak?: string;
  approval?: "manual";
}

/**
 * The waves of one application over the clusters it is placed on: `waves` in
 * order (a cluster listed twice goes in the first), `canary` as the first
 * wave (merged into `waves[0]` when both are given), and the placed clusters
 * in no wave in a last wave of their own. Without a rollout: one wave.
 */
export function appWaves(app: Application, clusters: readonly Cluster[]): PlannedWave[] {
  const placed = clustersFor(app, clusters);
  const rollout = app.spec.placement?.rollout;
  const taken = new Set<string>();
  const pick = (names: readonly string[] | undefined, selector: Record<string, string> | undefined): string[] => {
    const out = placed
      .filter((c) => !taken.has(c.metadata.name))
      .filter((c) => (names ?? []).includes(c.metadata.name) || (selector !== undefined && labelsMatch(selector, c.metadata.labels)))
      .map((c) => c.metadata.name);
    for (const n of out) taken.add(n);
    return out;
  };
  const waves: PlannedWave[] = [];
  const declared = rollout?.waves ?? [];
  if (rollout?.canary?.length || declared.length) {
    const first = declared[0];
    const names = [...(rollout?.canary ?? []), ...(first?.clusters ?? [])];
    waves.push({ index: 1, clusters: pick(names, first?.clusterSelector), ...(first?.soak ? { soak: first.soak } : {}), ...(first?.approval ? { approval: first.approval } : {}) });
    declared.slice(1).forEach((w, i) => {
      waves.push({ index: i + 2, clusters: pick(w.clusters, w.clusterSelector), ...(w.soak ? { soak: w.soak } : {}), ...(w.approval ? { approval: w.approval } : {}) });
    });
  }
  const rest = placed.map((c) => c.metadata.name).filter((n) => !taken.has(n));
  if (rest.length || !waves.length) waves.push({ index: waves.length + 1, clusters: rest });
  return waves;
}

/** What one cluster says of one application at this revision (from its pass, or its stored record). */
export interface ClusterAppState {
  /** Every release of the application there is at the desired digest and ended well (healthy when the rollout waits for health). */
  done: boolean;
  /** Why not done: a failed release, an unreachable cluster, a blocked release. */
  failed?: string;
  pending?: string;
  /** Since when it has been done at this digest (stored on the cluster). */
  doneSince?: string;
}

export const WAVE_STATES = ["done", "active", "waiting", "failed"] as const;
export type WaveState = (typeof WAVE_STATES)[number];
export const WAITING_FOR = ["previous-wave", "soak", "approval"] as const;
export type WaitingFor = (typeof WAITING_FOR)[number];

export interface WaveStatus {
  index: number;
  clusters: string[];
  state: WaveState;
  waitingFor?: WaitingFor;
  /** When the wait (or the wave's being done) began. */
  since?: string;
  /** For soak: when it ends. */
  until?: string;
  reason?: string;
  approval?: "manual";
  soak?: string;
}

export interface AppRollout {
  application: string;
  revision: string;
  waves: WaveStatus[];
}

export interface GateInput {
  application: string;
  revision: string;
  waves: PlannedWave[];
  wait: "healthy" | "none";
  /** Per cluster of the application; a cluster not in the map has not said yet (not done). */
  states: ReadonlyMap<string, ClusterAppState>;
  /** Waves approved for this revision of the application. */
  approved: ReadonlySet<number>;
  now: Date;
}

export interface Gate {
  rollout: AppRollout;
  /** Clusters whose wave is open: the application may change there. */
  open: Set<string>;
  /** Clusters of waves not open, with what they wait for (shown as the blocked reason). */
  held: Map<string, string>;
}

const latest = (times: Array<string | undefined>): string | undefined =>
  times.every((t) => t !== undefined) && times.length ? times.reduce((a, b) => (Date.parse(a!) >= Date.parse(b!) ? a : b)) : undefined;

const clock = (iso: string) => iso.slice(11, 19) + "Z";

/**
 * Walks the waves in order. Wave 1 is open. Wave k opens when wave k-1 is done
 * (not needed with `wait: none`), its soak has passed since wave k-1 was
 * done, and it is approved when it asks for approval. A wave whose clusters
 * are all already done is done, open or not: nothing there would change.
 */
export function gateWaves(i: GateInput): Gate {
  const open = new Set<string>();
  const held = new Map<string, string>();
  const out: WaveStatus[] = [];
  let prev: { index: number; done: boolean; doneSince?: string; failed?: string } | undefined;
  for (const w of i.waves) {
    const states = w.clusters.map((c) => i.states.get(c));
    const allDone = states.every((s) => s?.done);
    const doneSince = allDone ? (w.clusters.length ? latest(states.map((s) => s?.doneSince)) : prev?.doneSince) : undefined;
    const base = { index: w.index, clusters: w.clusters, ...(w.approval ? { approval: w.approval } : {}), ...(w.soak ? { soak: w.soak } : {}) };
    let wait: { waitingFor: WaitingFor; reason: string; since?: string; until?: string } | undefined;
    if (prev) {
      if (!prev.done && i.wait === "healthy") {
        wait = {
          waitingFor: "previous-wave",
          reason: prev.failed ? `held: ${prev.failed}` : `waiting for wave ${prev.index} of ${i.application} to be healthy`,
        };
      } else if (w.soak) {
        const ms = parseDuration(w.soak) ?? 0;
        if (!prev.done || !prev.doneSince) {
          wait = { waitingFor: "previous-wave", reason: `waiting for wave ${prev.index} of ${i.application} before a soak of ${w.soak}` };
        } else {
          const ends = new Date(Date.parse(prev.doneSince) + ms);
          if (ends > i.now) wait = { waitingFor: "soak", since: prev.doneSince, until: ends.toISOString(), reason: `soaking: wave ${prev.index} of ${i.application} healthy since ${clock(prev.doneSince)}, wave ${w.index} starts at ${clock(ends.toISOString())}` };
        }
      }
      if (!wait && w.approval === "manual" && !i.approved.has(w.index)) {
        wait = {
          waitingFor: "approval",
          ...(prev.doneSince ? { since: prev.doneSince } : {}),
          reason: `waiting for approval: berth approve ${i.application} --wave ${w.index} --revision ${i.revision.slice(0, 12)}`,
        };
      }
    }
    const failed = states.map((s, k) => (s?.failed ? `${w.clusters[k]}: ${s.failed}` : undefined)).find(Boolean);
    if (allDone) {
      out.push({ ...base, state: "done", ...(doneSince ? { since: doneSince } : {}) });
      for (const c of w.clusters) open.add(c);
    } else if (wait) {
      out.push({ ...base, state: "waiting", ...wait });
      for (const c of w.clusters) held.set(c, wait.reason);
    } else {
      const pending = states.map((s, k) => (s?.pending ? `${w.clusters[k]}: ${s.pending}` : undefined)).find(Boolean);
      out.push({ ...base, state: failed ? "failed" : "active", ...(failed ? { reason: failed } : pending ? { reason: pending } : {}) });
      for (const c of w.clusters) open.add(c);
    }
    // A failure is carried to every later wave, named by the wave it happened in.
    const failure = failed && !allDone ? `wave ${w.index} of ${i.application} failed (${failed})` : wait?.waitingFor === "previous-wave" ? prev?.failed : undefined;
    prev = { index: w.index, done: allDone, ...(doneSince ? { doneSince } : {}), ...(failure ? { failed: failure } : {}) };
  }
  return { rollout: { application: i.application, revision: i.revision, waves: out }, open, held };
}
