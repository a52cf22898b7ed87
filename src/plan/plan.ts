// Desired release specs + what a cluster holds -> one planned action per release. Pure.
import type { ReleaseSpec } from "../model/types.ts";
import { changes, type Action } from "./action.ts";
import { buildGraph, type ReleaseGraph } from "./dag.ts";
import { DEFAULT_RETRY, decide, type RetryPolicy } from "./decide.ts";
import { releaseDigest } from "./digest.ts";
import { emptyMemo, type ObservedRelease, type ReleaseMemo } from "./observed.ts";
import type { PruneDecider, PruneDecision } from "./prune.ts";
import { observeState, type ReleaseState } from "./state.ts";

export interface PlanInput {
  cluster: string;
  paused: boolean;
  /** The releases git places on this cluster. */
  desired: ReleaseSpec[];
  /** Every release berth found on the cluster (managed or not, for names it cares about). */
  observed: ObservedRelease[];
  memos: ReadonlyMap<string, ReleaseMemo>;
  /** Whether an orphan's application prunes: the revision's setting, else the cluster's record (prune.ts pruneDecider). */
  prune: PruneDecider;
  /** Whether the repository allows a revision that places nothing on this cluster to prune everything. */
  allowEmpty: boolean;
  now: number;
  retry?: RetryPolicy;
}

export interface PlannedRelease {
  name: string;
  namespace: string;
  application?: string;
  desired?: ReleaseSpec;
  digest?: string;
  observed?: ObservedRelease;
  state: ReleaseState;
  action: Action;
  /** An orphan's prune decision, kept so that a replan after an action decides alike. */
  prune?: PruneDecision;
  /** Releases that must be healthy before this one acts. */
  needs: string[];
}

export interface ClusterPlan {
  cluster: string;
  /** Dependencies before dependents; orphans (uninstalls) last. */
  releases: PlannedRelease[];
  graph: ReleaseGraph;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export function planCluster(input: PlanInput): ClusterPlan {
  const graph = buildGraph(input.desired);
  const observedBy = new Map(input.observed.map((o) => [key(o.namespace, o.name), o]));
  const byName = new Map(input.desired.map((d) => [d.name, d]));
  const planned = new Map<string, PlannedRelease>();

  for (const name of graph.order) {
    const desired = byName.get(name)!;
    const observed = observedBy.get(key(desired.namespace, name));
    const digest = releaseDigest(desired);
    const state = observeState(desired, digest, observed);
    const memo = input.memos.get(key(desired.namespace, name)) ?? emptyMemo();
    let action = decide({ state, desired, digest, observed, memo, now: input.now, retry: input.retry ?? DEFAULT_RETRY });
    // a chart that could not be read decides nothing: what runs stays as it is
    if (desired.unavailable) action = { kind: "blocked", reason: `${desired.unavailable}; ${observed ? "the deployed release stays as it is" : "nothing was installed"}` };
    const needs = graph.needs.get(name) ?? [];
    const unmet = graph.unmet.get(name);
    if (unmet && changes(action)) action = { kind: "blocked", reason: unmet };
    const blockedNeed = needs.find((n) => planned.get(n)?.action.kind === "blocked");
    if (blockedNeed && changes(action)) action = { kind: "blocked", reason: `needs ${blockedNeed}, which is blocked` };
    if (input.paused && changes(action)) action = pausedAction(input.cluster, action);
    planned.set(name, { name, namespace: desired.namespace, application: desired.application, desired, digest, observed, state, action, needs });
  }

  const desiredKeys = new Set(input.desired.map((d) => key(d.namespace, d.name)));
  const orphans = input.observed.filter((o) => o.managed && !desiredKeys.has(key(o.namespace, o.name)));
  for (const observed of orphans.sort((a, b) => a.name.localeCompare(b.name))) {
    const state = observeState(undefined, undefined, observed);
    if (state.name === "Orphaned" && observed.revisions.at(-1)?.status === "uninstalled") continue;
    const prune = input.prune(observed);
    let action = decide({ state, observed, memo: emptyMemo(), prune, now: input.now, retry: input.retry ?? DEFAULT_RETRY });
    if (action.kind === "uninstall" && input.desired.length === 0 && !input.allowEmpty) {
      action = {
        kind: "blocked",
        reason: `this revision places no release at all on cluster ${input.cluster}; nothing is pruned unless the Cluster sets allowEmpty: true`,
      };
    }
    if (input.paused && changes(action)) action = pausedAction(input.cluster, action);
    planned.set(`orphan:${key(observed.namespace, observed.name)}`, {
      name: observed.name,
      namespace: observed.namespace,
      ...(observed.application ? { application: observed.application } : {}),
      observed,
      state,
      action,
      prune,
      needs: [],
    });
  }
  return { cluster: input.cluster, releases: [...planned.values()], graph };
}

function pausedAction(cluster: string, a: Action): Action {
  return { kind: "blocked", reason: `cluster ${cluster} is paused; would ${a.kind}` };
}

export interface ReplanInput {
  observed: ObservedRelease | undefined;
  memo: ReleaseMemo;
  now: number;
  retry?: RetryPolicy;
}

/** The next step for one release after an action, with the dependencies already met. */
export function replanRelease(prev: PlannedRelease, i: ReplanInput): PlannedRelease {
  const state = observeState(prev.desired, prev.digest, i.observed);
  const action = decide({
    state,
    ...(prev.desired ? { desired: prev.desired } : {}),
    ...(prev.digest ? { digest: prev.digest } : {}),
    ...(i.observed ? { observed: i.observed } : {}),
    memo: i.memo,
    ...(prev.prune ? { prune: prev.prune } : {}),
    now: i.now,
    retry: i.retry ?? DEFAULT_RETRY,
  });
  const { observed: _o, ...rest } = prev;
  return { ...rest, ...(i.observed ? { observed: i.observed } : {}), state, action };
}
