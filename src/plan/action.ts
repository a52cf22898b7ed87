// What the reconciler does next for one release. Pure data.
import type { StepSpec, UpgradeStep } from "../model/types.ts";
import type { HelmStatus } from "./observed.ts";
import { allOf } from "../enum.ts";

/**
 * How berth takes over a release it does not own (the entry's `adopt`):
 * `label` puts berth's labels on its Helm storage, so the normal path upgrades
 * it; `replace` keeps its manifest and values aside, uninstalls it and installs fresh.
 */
export type AdoptMode = "label" | "replace";

export type Action =
  | { kind: "install"; to: string; steps: [] }
  /** A release berth does not own, taken over as the entry asks; `reason` says what was found. */
  | { kind: "adopt"; mode: AdoptMode; to: string; reason: string }
  | { kind: "upgrade"; from?: string; to: string; steps: UpgradeStep[] }
  /** A move to a lower version: helm rollback to the revision that ran it, after the crossed rollback steps. */
  | { kind: "rollback"; from: string; to: string; toRevision: number; steps: Array<{ to: string; rollback: StepSpec }> }
  /** A failed release: back to the last good revision, or uninstalled when there is none. */
  | { kind: "remediate"; toRevision?: number }
  /** A release left pending by a crash: marked failed so that it can be remediated. */
  | { kind: "unlock"; status: HelmStatus }
  | { kind: "uninstall"; reason: string }
  | { kind: "none"; reason: string }
  | { kind: "blocked"; reason: string };

export type ActionKind = Action["kind"];

/** Every kind of action, for schemas (the API's plan); the compiler holds it to Action["kind"]. */
export const ACTION_KINDS = allOf<ActionKind>()(["install", "adopt", "upgrade", "rollback", "remediate", "unlock", "uninstall", "none", "blocked"]);

/** Actions that change the cluster. */
export function changes(a: Action): boolean {
  return a.kind !== "none" && a.kind !== "blocked";
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case "install":
      return `install ${a.to}`;
    case "adopt":
      return a.mode === "label"
        ? `adopt the release installed outside berth: label it as berth's, then upgrade to ${a.to}`
        : `adopt the release installed outside berth by replacing it: keep its manifest and values, uninstall it, install ${a.to}`;
    case "upgrade":
      return `upgrade ${a.from ?? "?"} -> ${a.to}${a.steps.length ? ` (steps: ${a.steps.map((s) => s.to).join(", ")})` : ""}`;
    case "rollback":
      return `rollback ${a.from} -> ${a.to} (revision ${a.toRevision}${a.steps.length ? `; rollback steps: ${a.steps.map((s) => s.to).join(", ")}` : ""})`;
    case "remediate":
      return a.toRevision ? `remediate: roll back to revision ${a.toRevision}` : "remediate: uninstall the failed first install";
    case "unlock":
      return `unlock a release left ${a.status}`;
    case "uninstall":
    case "none":
    case "blocked":
      return `${a.kind}: ${a.reason}`;
  }
}
