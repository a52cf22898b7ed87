// Runs one declared upgrade or rollback step as a Kubernetes Job and waits for
// it. The Job's name carries the move's id: one Job per step per move, and a
// restart within the move waits on the Job it already created.
import { createHash } from "node:crypto";
import type { JsonObject, ReleaseSpec, StepSpec } from "../model/types.ts";
import { LABELS } from "../model/labels.ts";
import { overlaySecurityContext, restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../model/pod-security.ts";
import { releaseStepSecurity } from "../render/values-layout.ts";
import type { ActionContext } from "./context.ts";
import type { StepRecord } from "./memo.ts";

export interface StepRun {
  release: string;
  namespace: string;
  kind: "run" | "rollback";
  to: string; // the upgrade step's target version
  step: StepSpec;
  /** The move's id (MoveMemo.id): a new move runs a fresh Job, a restart within the move resumes the same one. */
  move: string;
  /** The securityContexts the step starts from (stepSecurity of its release); default: Pod Security "restricted". */
  security?: StepSecurity;
}

export interface StepSecurity {
  pod: JsonObject;
  container: JsonObject;
}

/** What a release's steps start from: a generated release's own pod and main container settings, else the restricted defaults. */
export function stepSecurity(release: Pick<ReleaseSpec, "values" | "chart" | "workloadKind"> | undefined): StepSecurity | undefined {
  return release ? releaseStepSecurity(release) : undefined;
}

/** An image without a tag runs at the version of the step it belongs to. */
export function stepImage(image: string, version: string): string {
  const lastSlash = image.lastIndexOf("/");
  const hasTag = image.includes("@") || image.slice(lastSlash + 1).includes(":");
  return hasTag ? image : `${image}:${version}`;
}

/** `<release>-<up|down>-<to>-<move>-<hash>`, at most 63 characters (the hash keeps steps apart when the front is cut). */
export function stepJobName(r: Pick<StepRun, "release" | "kind" | "to" | "move">): string {
  const hash = createHash("sha256").update(`${r.release}/${r.kind}/${r.to}/${r.move}`).digest("hex").slice(0, 6);
  const base = `${r.release}-${r.kind === "run" ? "up" : "down"}-${r.to}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  const move = r.move.toLowerCase().replace(/[^a-z0-9]+/g, "").slice(0, 8);
  return `${base.slice(0, 46).replace(/-+$/, "")}-${move}-${hash}`;
}

export type StepContext = Pick<ActionContext, "kube" | "log" | "stepTimeoutMs">;

export async function runStep(ctx: StepContext, r: StepRun): Promise<StepRecord> {
  const job = stepJobName(r);
  const log = ctx.log.child({ release: r.release, step: r.to, kind: r.kind, job });
  log.info("running step");
  const res = await ctx.kube.runJob({
    namespace: r.namespace,
    name: job,
    image: stepImage(r.step.image, r.to),
    ...(r.step.command ? { command: r.step.command } : {}),
    ...(r.step.args ? { args: r.step.args } : {}),
    ...(r.step.env ? { env: r.step.env } : {}),
    ...(r.step.imagePullPolicy ? { imagePullPolicy: r.step.imagePullPolicy } : {}),
    ...(r.step.resources ? { resources: r.step.resources } : {}),
    podSecurityContext: overlaySecurityContext(r.security?.pod ?? restrictedPodSecurityContext()),
    securityContext: overlaySecurityContext(r.security?.container ?? restrictedContainerSecurityContext(), r.step.securityContext),
    labels: { [LABELS.managed]: "true", [LABELS.release]: r.release, [LABELS.step]: r.kind },
    move: r.move,
    timeoutMs: (r.step.timeoutSeconds ?? 0) * 1000 || ctx.stepTimeoutMs,
  });
  log.info({ succeeded: res.succeeded }, "step finished");
  // The logs go to the release's Secret, never into the record (a readable ConfigMap).
  let message = res.message;
  if (res.logs) {
    try {
      await ctx.kube.writeStepLogs(r.namespace, r.release, job, res.logs);
    } catch (err) {
      log.warn({ err: (err as Error).message }, "cannot keep the step's logs");
      message = `${message} (its logs could not be kept: ${(err as Error).message})`;
    }
  }
  return { kind: r.kind, to: r.to, job, succeeded: res.succeeded, message };
}
