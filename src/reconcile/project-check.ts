// Before a Project's release is installed or upgraded: render it (`helm
// template`) and refuse it when an object leaves the Project (plan/project-scope.ts).
// A release without a Project makes no call here, so "nothing changed" stays
// at zero helm calls. Impersonation (the API server's RBAC) still decides
// whatever a render cannot show, such as what a chart's `lookup` would change.
import type { Action } from "../plan/action.ts";
import { describeViolations, kindKey, kindsToDiscover, scopeViolations } from "../plan/project-scope.ts";
import type { ActionContext } from "./context.ts";
import type { ActionRecord } from "./memo.ts";
import { failed, finish, type ActInput, type ActionOutcome } from "./outcome.ts";

type Apply = Extract<Action, { kind: "install" | "upgrade" }>;

/** The outcome of a refused (or unrenderable) release, or undefined when it may go on. */
export async function refuseOutsideProject(ctx: ActionContext, input: ActInput, action: Apply, record: ActionRecord): Promise<ActionOutcome | undefined> {
  const { item, memo } = input;
  const desired = item.desired;
  const project = desired?.project;
  if (!desired || !project) return undefined;
  let manifest: string;
  const clusterKinds = new Set<string>();
  try {
    manifest = await ctx.helm.template({
      release: item.name,
      namespace: item.namespace,
      chartDir: await ctx.chartDir(desired.chart),
      values: desired.values,
      isUpgrade: action.kind === "upgrade",
      timeoutMs: ctx.helmTimeoutMs,
    });
    // kinds no built-in list knows (a CRD's): the cluster says where they live
    for (const k of kindsToDiscover(manifest)) {
      if ((await ctx.kube.kindScope(k.apiVersion, k.kind)) === "Cluster") clusterKinds.add(kindKey(k.apiVersion, k.kind));
    }
  } catch (err) {
    // a check that cannot run refuses: nothing unchecked is applied
    const e = new Error(`cannot render and check the chart against Project ${project.name}, so nothing was applied: ${(err as Error).message}`);
    return { record: finish(record, [], e), memo: failed(memo, item.digest) };
  }
  const violations = scopeViolations(manifest, project, item.namespace, clusterKinds);
  if (!violations.length) return undefined;
  const reason = describeViolations(project, violations);
  ctx.log.warn({ release: item.name, project: project.name, objects: violations.map((v) => v.object) }, "refused: the rendered chart leaves its Project");
  // A failed attempt of this digest: retried with backoff (the Project may widen), never applied as it is.
  return { record: finish(record, [], new Error(reason)), memo: failed(memo, item.digest), blocked: reason };
}
