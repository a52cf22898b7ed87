// A release of the desired name that berth did not install, taken over as the
// entry's `adopt` asks; then the normal path runs on the next decision:
//   label   -> berth's labels on its Helm storage Secrets (each revision's
//              version from the chart it ran), so it is OutOfSync and upgrades
//              along the semver path from the version it runs
//   replace -> its manifest and values kept in berth-adopted-<release>, then
//              `helm uninstall`, so it is Absent and installs fresh
// Once labelled (or reinstalled) the release is berth's and never adopted again.
import { LABELS } from "../model/labels.ts";
import type { ReleaseSpec } from "../model/types.ts";
import type { StoredRevision } from "../adapters/kube.ts";
import type { Action } from "../plan/action.ts";
import { versionToLabel } from "../plan/digest.ts";
import type { ActionContext } from "./context.ts";
import type { AdoptedRecord } from "./memo.ts";
import { failed, finish, startRecord, succeeded, type ActInput, type ActionOutcome } from "./outcome.ts";
import { refuseOutsideProject } from "./project-check.ts";

type Adopt = Extract<Action, { kind: "adopt" }>;

/** The revision adoption starts from: the newest deployed one, else the newest. */
export function adoptedRevision(stored: StoredRevision[]): StoredRevision | undefined {
  return [...stored].reverse().find((r) => r.status === "deployed") ?? stored.at(-1);
}

/**
 * The component version a stored revision ran, when its chart says it: a
 * third-party chart's version is the component's. A generated chart's version
 * is its WorkloadDefinition's, not the component's, so it says nothing.
 */
export function versionRan(r: StoredRevision, desired: ReleaseSpec): string | undefined {
  if (!desired.chart.source || r.chart?.name !== desired.chart.name) return undefined;
  return r.chart.version;
}

/** berth's labels for each stored revision: ownership, application, prune, and the version it ran when known. */
export function adoptionLabels(stored: StoredRevision[], desired: ReleaseSpec, prune: boolean): Map<number, Record<string, string>> {
  return new Map(
    stored.map((r) => {
      const version = versionRan(r, desired);
      return [
        r.revision,
        {
          [LABELS.managed]: "true",
          [LABELS.application]: desired.application,
          [LABELS.prune]: String(prune),
          ...(version ? { [LABELS.version]: versionToLabel(version) } : {}),
        },
      ];
    }),
  );
}

export async function adopt(ctx: ActionContext, input: ActInput, action: Adopt): Promise<ActionOutcome> {
  const { item, memo } = input;
  const desired = item.desired!;
  let record = startRecord(ctx, item, "adopt", undefined, action.to);
  try {
    const stored = await ctx.kube.readStoredRevisions(item.namespace, item.name);
    const found = adoptedRevision(stored);
    if (!found) throw new Error(`release ${item.name} in ${item.namespace} is no longer on the cluster; nothing to adopt`);
    const from = versionRan(found, desired);
    const adopted: AdoptedRecord = {
      mode: action.mode,
      revision: found.revision,
      status: found.status,
      ...(found.chart ? { chart: { name: found.chart.name, version: found.chart.version } } : {}),
    };
    record = { ...record, ...(from ? { fromVersion: from } : {}), adopted };

    if (action.mode === "label") {
      await ctx.kube.labelReleaseStorage(item.namespace, item.name, adoptionLabels(stored, desired, input.prune));
      adopted.labelled = stored.map((r) => r.revision);
      ctx.log.info({ release: item.name, revision: found.revision, chart: adopted.chart, from }, "adopted: labelled as berth's");
      return { record: finish(record, []), memo: succeeded(memo) };
    }

    // replace: nothing is uninstalled unless the fresh install may go on (its Project allows it, its chart renders)
    const install: Extract<Action, { kind: "install" }> = { kind: "install", to: action.to, steps: [] };
    if (desired.project) {
      const refused = await refuseOutsideProject(ctx, input, install, record);
      if (refused) return refused;
    } else {
      await ctx.helm
        .template({ release: item.name, namespace: item.namespace, chartDir: await ctx.chartDir(desired.chart), values: desired.values, isUpgrade: false, timeoutMs: ctx.helmTimeoutMs })
        .catch((err: Error) => {
          throw new Error(`the chart to install does not render, so the old release was left in place: ${err.message}`);
        });
    }
    const kept = await ctx.kube.keepAdopted(item.namespace, item.name, {
      revision: found.revision,
      status: found.status,
      ...(found.chart ? { chart: { name: found.chart.name, version: found.chart.version } } : {}),
      manifest: found.manifest,
      values: found.config,
    });
    adopted.kept = kept.secret;
    if (kept.truncated) adopted.truncated = true;
    await ctx.helm.uninstall({ release: item.name, namespace: item.namespace, timeoutMs: ctx.helmTimeoutMs });
    adopted.uninstalled = true;
    ctx.log.info({ release: item.name, revision: found.revision, chart: adopted.chart, kept: kept.secret }, "adopted: old release kept and uninstalled");
    return { record: finish(record, []), memo: succeeded(memo) };
  } catch (err) {
    return { record: finish(record, [], err), memo: failed(memo, item.digest) };
  }
}
