// A release's deploy state as a person reads it at a glance (the MAE
// document's deploying / succeeded / failed / blocked / stopped), from what
// status already observed. Pure; the first rule that holds wins.
import { allOf } from "../enum.ts";

export type DeployState = "deploying" | "succeeded" | "failed" | "blocked" | "stopped";

/** Every deploy state, for schemas; the compiler holds it to DeployState. */
export const DEPLOY_STATES = allOf<DeployState>()(["deploying", "succeeded", "failed", "blocked", "stopped"]);

export interface DeployStateInput {
  /** Where git says `suspended: true` (ReleaseSpec.suspended). */
  suspendedInGit?: string;
  desiredVersion?: string;
  deployedVersion?: string;
  /** Helm's status of the latest revision. */
  helmStatus?: string;
  health: "healthy" | "unhealthy" | "absent" | "unknown";
  healthMessage?: string;
  scaledToZero?: boolean;
  /** Why the reconciler will not act now (the plan's blocked reason). */
  blocked?: string;
  lastAction?: { result: "succeeded" | "failed"; at: string };
  lastError?: string;
  /** Whether git declares the release (an orphan is not deployed by berth any more). */
  declared: boolean;
}

export interface DeployStateView {
  state: DeployState;
  /** One line saying why, for the page and `berth status`. */
  reason: string;
}

/** How long an unhealthy release counts as still coming up after berth acted on it. */
export const SETTLING_MS = 5 * 60_000;

export function deployState(i: DeployStateInput, now: number): DeployStateView {
  if (i.suspendedInGit) return { state: "stopped", reason: `suspended: true in git (${i.suspendedInGit})` };
  if (i.helmStatus?.startsWith("pending")) return { state: "deploying", reason: `helm is at work (${i.helmStatus})` };
  if (i.scaledToZero) return { state: "stopped", reason: i.healthMessage ?? "scaled to zero" };
  const lastFailed = i.lastAction?.result === "failed" || i.helmStatus === "failed";
  if (lastFailed) return { state: "failed", reason: i.blocked ?? i.lastError ?? (i.helmStatus === "failed" ? "helm's latest revision failed" : "the last action failed") };
  if (i.blocked) return { state: "blocked", reason: i.blocked };
  if (!i.declared) return i.helmStatus === "deployed" ? { state: "succeeded", reason: "no longer declared in git; left deployed" } : { state: "stopped", reason: "no longer declared in git" };
  if (i.health === "absent" || i.deployedVersion === undefined) return { state: "deploying", reason: `not deployed yet${i.desiredVersion ? ` (${i.desiredVersion})` : ""}` };
  if (i.desiredVersion !== undefined && i.desiredVersion !== i.deployedVersion) return { state: "deploying", reason: `${i.deployedVersion} -> ${i.desiredVersion}` };
  if (i.health === "unhealthy") {
    const recent = i.lastAction && now - Date.parse(i.lastAction.at) < SETTLING_MS;
    return recent ? { state: "deploying", reason: i.healthMessage ?? "coming up" } : { state: "failed", reason: i.healthMessage ?? "unhealthy" };
  }
  if (i.health === "unknown") return { state: "succeeded", reason: `deployed ${i.deployedVersion} (health not known)` };
  return { state: "succeeded", reason: i.healthMessage ?? `deployed ${i.deployedVersion}` };
}
