// The labels berth puts on what it owns: Helm storage Secrets (through
// `helm --labels`), memo ConfigMaps, step Jobs, namespaces.
export const LABELS = {
  managed: "berth.dev/managed",
  digest: "berth.dev/digest",
  version: "berth.dev/version",
  application: "berth.dev/application",
  prune: "berth.dev/prune",
  memo: "berth.dev/memo",
  release: "berth.dev/release",
  step: "berth.dev/step",
} as const;
