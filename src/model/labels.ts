// The labels berth puts on what it owns: Helm storage Secrets (through
// `helm --labels`), memo ConfigMaps, application records, step Jobs, namespaces.
export const LABELS = {
  managed: "berth.dev/managed",
  digest: "berth.dev/digest",
  version: "berth.dev/version",
  application: "berth.dev/application",
  prune: "berth.dev/prune",
  memo: "berth.dev/memo",
  release: "berth.dev/release",
  step: "berth.dev/step",
  /** The move a step Job belongs to (reconcile/move.ts): a Job of another move is never waited on as this one's. */
  move: "berth.dev/move",
  /** A Secret holding the logs of a release's step Jobs (kube/step-logs.ts), kept out of the readable memo. */
  stepLogs: "berth.dev/step-logs",
  /** A ConfigMap holding berth's record of one application on a cluster (kube/app-records.ts). */
  appRecord: "berth.dev/app-record",
  /** A ConfigMap holding an application's rollout on a cluster: done since when, approvals (kube/rollout-records.ts). */
  rollout: "berth.dev/rollout",
} as const;
