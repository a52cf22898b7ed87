import type { HelmClient } from "../adapters/helm.ts";
import type { Impersonation, KubeClient } from "../adapters/kube.ts";
import type { Logger } from "../log.ts";
import type { ChartIdentity, ReleaseProject } from "../model/types.ts";

/** What an action needs to act on one cluster: adapters in, nothing global. */
export interface ActionContext {
  cluster: string;
  commit: string;
  kube: KubeClient;
  helm: HelmClient;
  log: Logger;
  helmTimeoutMs: number;
  stepTimeoutMs: number;
  maxHistory?: number;
  /** A local path of the release's chart for helm (a directory or a .tgz), written or pulled on first use. */
  chartDir(chart: ChartIdentity): Promise<string>;
}

/** A cluster's clients that act as one identity (ClusterTarget.as). */
export type ActingAs = (who: Impersonation) => { kube: KubeClient; helm: HelmClient };

/**
 * The context a release's actions run in. When its Project impersonates, helm
 * and the step Jobs (the release's own workload) act as that identity, so the
 * API server's RBAC decides; observation and berth's records (memos, Helm
 * storage bookkeeping, health) stay on berth's identity. A cluster that cannot
 * act as the identity blocks the release instead of acting as berth.
 */
export function actingContext(ctx: ActionContext, project: ReleaseProject | undefined, as: ActingAs | undefined): { ctx: ActionContext } | { blocked: string } {
  const who = project?.impersonate;
  if (!who) return { ctx };
  if (!as) return { blocked: `Project ${project.name} acts as ${who.user}, and berth's clients for cluster ${ctx.cluster} cannot impersonate; nothing was applied` };
  const acting = as(who);
  return { ctx: { ...ctx, helm: acting.helm, kube: withActing(ctx.kube, acting.kube), log: ctx.log.child({ project: project.name, as: who.user }) } };
}

/**
 * berth's client, with the calls that change a release's own objects (step
 * Jobs, drift corrections) made by `acting`; every other call (observation,
 * memos, Helm-storage bookkeeping) stays berth's.
 */
export function withActing(berth: KubeClient, acting: KubeClient): KubeClient {
  return { ...berth, runJob: (spec) => acting.runJob(spec), applyObject: (obj, opts) => acting.applyObject(obj, opts) };
}

/** `helm rollback` of an action's release to `revision`, keeping the Cluster's maxHistory (0: unlimited). */
export function rollbackTo(ctx: ActionContext, release: { name: string; namespace: string }, revision: number): Promise<void> {
  return ctx.helm.rollback({
    release: release.name,
    namespace: release.namespace,
    revision,
    timeoutMs: ctx.helmTimeoutMs,
    ...(ctx.maxHistory !== undefined ? { maxHistory: ctx.maxHistory } : {}),
  });
}
