// `berth approve APP [--wave N] [--revision REV]` and POST
// /api/v1/applications/{app}/approve: a person lets a wave that asks for
// approval go, for the revision berth applies now. The approval is written on
// every cluster of the wave (kube/rollout-records.ts), so a restarted berth or
// another replica honours it; the loop counts it while the revision (or the
// application's digest in it) is the one approved.
import { BerthError } from "../errors.ts";
import type { AppRollout, PlannedWave } from "../plan/waves.ts";
import type { ClusterTarget } from "./cluster.ts";
import type { DesiredRevision } from "./revision.ts";
import { gatedApps } from "./waves.ts";

/** Why an approval cannot be given; `status` is the HTTP answer the API gives for it. */
export class ApprovalRefused extends BerthError {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super("INVALID_INPUT", message);
  }
}

export interface ApprovalRequest {
  application: string;
  wave?: number;
  /** A guard: approve only if berth applies this revision now (a prefix of the commit is enough). */
  revision?: string;
  /** Who approves: a token's name, or the CLI's user@host. */
  by: string;
}

export interface ApprovalTarget {
  application: string;
  namespace: string;
  wave: PlannedWave;
  revision: string;
  digest: string;
}

/** Pure: which wave an approval is for, checked against the revision and what the waves wait for now. */
export function approvalTarget(desired: Pick<DesiredRevision, "commit" | "repo" | "byCluster">, rollout: AppRollout | undefined, req: Omit<ApprovalRequest, "by">): ApprovalTarget {
  const app = desired.repo.applications.find((a) => a.metadata.name === req.application);
  if (!app) {
    const names = desired.repo.applications.map((a) => a.metadata.name);
    throw new ApprovalRefused(`no Application ${req.application} at revision ${desired.commit.slice(0, 12)}; there are ${names.join(", ") || "none"}`, 404);
  }
  if (req.revision !== undefined && (req.revision.length < 7 || !desired.commit.startsWith(req.revision))) {
    throw new ApprovalRefused(
      `--revision ${req.revision} is not the revision berth applies now (${desired.commit.slice(0, 12)}); review that one and approve it, or leave --revision out`,
      409,
    );
  }
  const gated = gatedApps({ applications: [app], clusters: desired.repo.clusters }, desired.byCluster)[0];
  const manual = (gated?.waves ?? []).filter((w) => w.approval === "manual");
  const pos = app.origin?.pos(["spec", "placement", "rollout"]);
  const at = app.origin && pos ? `${app.origin.file}:${pos.line} spec.placement.rollout.waves` : "spec.placement.rollout.waves";
  if (!gated || manual.length === 0) throw new ApprovalRefused(`Application ${req.application} has no wave that asks for approval (${at}[].approval: manual)`, 409);
  let wave: PlannedWave | undefined;
  if (req.wave !== undefined) {
    wave = gated.waves.find((w) => w.index === req.wave);
    if (!wave) throw new ApprovalRefused(`Application ${req.application} has waves 1 to ${gated.waves.length}, not ${req.wave}`, 404);
    if (wave.approval !== "manual") throw new ApprovalRefused(`wave ${req.wave} of ${req.application} does not ask for approval; these do: ${manual.map((w) => w.index).join(", ")}`, 409);
  } else {
    // The wave that waits for a person now; else the first that will.
    const waiting = rollout?.waves.find((w) => w.state === "waiting" && w.waitingFor === "approval");
    const notDone = manual.find((w) => rollout?.waves.find((s) => s.index === w.index)?.state !== "done");
    wave = (waiting && manual.find((w) => w.index === waiting.index)) ?? notDone;
    if (!wave) throw new ApprovalRefused(`every wave of ${req.application} that asks for approval is done at ${desired.commit.slice(0, 12)}: nothing to approve`, 409);
  }
  if (wave.clusters.length === 0) throw new ApprovalRefused(`wave ${wave.index} of ${req.application} has no cluster at this revision: nothing to approve`, 409);
  return { application: app.metadata.name, namespace: app.spec.namespace, wave, revision: desired.commit, digest: gated.digest };
}

export interface ApprovalResult {
  application: string;
  wave: number;
  revision: string;
  by: string;
  at: string;
  /** The clusters that hold the approval now. */
  stored: string[];
  failed: Array<{ cluster: string; error: string }>;
}

/** Writes the approval on every cluster of the wave; one cluster holding it is enough for the loop. */
export async function storeApproval(t: ApprovalTarget, targets: readonly ClusterTarget[], by: string, now = new Date()): Promise<ApprovalResult> {
  const at = now.toISOString();
  const out: ApprovalResult = { application: t.application, wave: t.wave.index, revision: t.revision, by, at, stored: [], failed: [] };
  await Promise.all(
    t.wave.clusters.map(async (name) => {
      const target = targets.find((x) => x.name === name);
      if (!target) return void out.failed.push({ cluster: name, error: "not among the clusters berth can reach now" });
      try {
        await target.kube.ensureNamespace(t.namespace);
        await target.kube.writeApproval({ application: t.application, namespace: t.namespace, approval: { wave: t.wave.index, revision: t.revision, digest: t.digest, by, at } });
        out.stored.push(name);
      } catch (err) {
        out.failed.push({ cluster: name, error: (err as Error).message });
      }
    }),
  );
  out.stored.sort();
  return out;
}
