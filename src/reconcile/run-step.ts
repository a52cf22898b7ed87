// Runs one declared upgrade or rollback step as a Kubernetes Job and waits for it.
import { createHash } from "node:crypto";
import type { StepSpec } from "../model/types.ts";
import { LABELS } from "../model/labels.ts";
import type { ActionContext } from "./context.ts";
import type { StepRecord } from "./memo.ts";

export interface StepRun {
  release: string;
  namespace: string;
  kind: "run" | "rollback";
  to: string; // the upgrade step's target version
  step: StepSpec;
  /** Distinguishes attempts, so a retry after a failure runs a fresh Job while a restart resumes the same one. */
  attempt: string;
}

/** An image without a tag runs at the version of the step it belongs to. */
export function stepImage(image: string, version: string): string {
  const lastSlash = image.lastIndexOf("/");
  const hasTag = image.includes("@") || image.slice(lastSlash + 1).includes(":");
  return hasTag ? image : `${image}:${version}`;
}

export function stepJobName(r: Pick<StepRun, "release" | "kind" | "to" | "attempt">): string {
  const hash = createHash("sha256").update(`${r.release}/${r.kind}/${r.to}/${r.attempt}`).digest("hex").slice(0, 8);
  const base = `${r.release}-${r.kind === "run" ? "up" : "down"}-${r.to}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
  return `${base.slice(0, 50).replace(/-+$/, "")}-${hash}`;
}

export async function runStep(ctx: ActionContext, r: StepRun): Promise<StepRecord> {
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
    labels: { [LABELS.managed]: "true", [LABELS.release]: r.release, [LABELS.step]: r.kind },
    timeoutMs: (r.step.timeoutSeconds ?? 0) * 1000 || ctx.stepTimeoutMs,
  });
  log.info({ succeeded: res.succeeded }, "step finished");
  return { kind: r.kind, to: r.to, job, succeeded: res.succeeded, logs: res.logs, message: res.message };
}
