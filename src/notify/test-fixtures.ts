// Small hand-built pass results and Notifications for the notify unit tests.
import type { Notification, NotificationSpec } from "../model/types.ts";
import type { ClusterResult } from "../reconcile/cluster.ts";
import type { ActionRecord } from "../reconcile/memo.ts";
import type { ReleaseResult } from "../reconcile/release.ts";
import type { PlannedRelease } from "../plan/plan.ts";

export const SHA = "0123456789abcdef0123456789abcdef01234567";

export function record(action: ActionRecord["action"], result: ActionRecord["result"], at: string, over: Partial<ActionRecord> = {}): ActionRecord {
  return { at, commit: SHA, cluster: "east", release: "shop-web", namespace: "shop", application: "shop", action, steps: [], result, durationMs: 10, ...over };
}

export function release(outcome: ReleaseResult["outcome"], reason: string, records: ActionRecord[] = [], over: Partial<ReleaseResult> & { digest?: string } = {}): ReleaseResult {
  const { digest = "sha256:d1", ...rest } = over;
  return { name: "shop-web", namespace: "shop", application: "shop", outcome, reason, final: { digest } as unknown as PlannedRelease, records, ...rest };
}

export function cluster(name: string, releases: ReleaseResult[], over: Partial<ClusterResult> = {}): ClusterResult {
  return { cluster: name, reachable: true, releases, ...over };
}

export function notification(spec: Partial<NotificationSpec>, name = "team"): Notification {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Notification",
    metadata: { name },
    spec: { sinks: [{ webhook: { url: "https://hooks.example.com/berth", secretFile: "/etc/berth/hook" } }], ...spec },
    origin: { file: "notify/team.yaml", pos: (p) => ({ line: 5 + p.length, col: 3 }) },
  };
}
