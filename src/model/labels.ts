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
  /** A ConfigMap holding berth's record of one application on a cluster (kube/app-records.ts). */
  appRecord: "berth.dev/app-record",
} as const;
