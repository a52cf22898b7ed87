// The secure defaults every pod berth generates or runs starts from: what
// Pod Security admission's "restricted" profile asks of a pod and of each of
// its containers. Generated charts carry them as values (render/values-layout.ts),
// upgrade-step Jobs get them from the Job builder (adapters/kube/jobs.ts); a
// Component, an Application entry or an Overlay overrides them in git.
import type { JsonObject } from "./types.ts";

/** The pod's securityContext: no root user, the runtime's default seccomp profile. */
export function restrictedPodSecurityContext(): JsonObject {
  return { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
}

/** Every container's securityContext: no privilege escalation, no capabilities, a read-only root file system. */
export function restrictedContainerSecurityContext(): JsonObject {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true };
}

/** Where the writable emptyDir goes that a read-only root file system leaves a program for scratch files. */
export const TMP_MOUNT_PATH = "/tmp";

/** What an upgrade step's Job asks for when its step declares no resources. */
export function stepResources(): { requests: Record<string, string>; limits: Record<string, string> } {
  return {
    requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "64Mi" },
    limits: { memory: "512Mi", "ephemeral-storage": "1Gi" },
  };
}

/**
 * Top-level keys of each later context replace the earlier's (a `null` removes
 * one), as the generated charts combine `defaultSecurityContext` with a
 * container's own: `capabilities: { add: [NET_BIND_SERVICE] }` replaces the
 * whole `capabilities`, so it says `drop: [ALL]` again when it wants that kept.
 */
export function overlaySecurityContext(...contexts: ReadonlyArray<JsonObject | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const c of contexts) {
    for (const [k, v] of Object.entries(c ?? {})) {
      if (v === null) delete out[k];
      else if (v !== undefined) out[k] = v;
    }
  }
  return out;
}
