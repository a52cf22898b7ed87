// What the reconciler does next for one release. Pure data.
import type { StepSpec, UpgradeStep } from "../model/types.ts";
import type { HelmStatus } from "./observed.ts";

export type Action =
  | { kind: "install"; to: string; steps: [] }
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

/** Actions that change the cluster. */
export function changes(a: Action): boolean {
  return a.kind !== "none" && a.kind !== "blocked";
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case "install":
      return `install ${a.to}`;
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
