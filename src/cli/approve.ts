// `berth approve APP [--wave N] [--revision REV]`: lets a wave that asks for
// approval go, for the revision the source holds now (reconcile/approve.ts).
// The approval is stored on the wave's clusters; the next pass (of this berth,
// a restarted one or another replica) starts the wave.
import { userInfo, hostname } from "node:os";
import { UsageError } from "../errors.ts";
import { approvalTarget, storeApproval } from "../reconcile/approve.ts";
import { formatRollout } from "../reconcile/status.ts";
import { createTargetCache } from "../reconcile/targets.ts";
import type { RegisterCommand } from "./index.ts";
import { addSourceFlags, helmWorkerFlag, kubeconfigPolicy, openFromFlags, positiveInt, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";

type Flags = SourceFlags & { wave?: string; revision?: string; output?: string };

/** Who approves from a terminal: the local user at this host (the API records a token's name instead). */
export const cliApprover = (): string => `${userInfo().username}@${hostname()}`;

export const registerApprove: RegisterCommand = (program, ctx) => {
  addSourceFlags(program.command("approve <APPLICATION>"))
    .description("let a wave with approval: manual go, for the revision berth applies now (stored on the wave's clusters)")
    .option("--wave <N>", "the wave to approve (default: the one waiting for approval)")
    .option("--revision <REV>", "approve only if berth applies this revision now (a commit or its prefix)")
    .option("--output <FORMAT>", "text or json", "text")
    .action(async (application: string, f: Flags) => {
      if (f.output !== "text" && f.output !== "json") throw new UsageError(`--output must be text or json, not "${f.output}"`);
      const source = await openFromFlags(f, ctx.cwd);
      try {
        const { report, status } = await reconcilerFromFlags(f, source, ctx.log).snapshot();
        const desired = report.desired;
        if (!desired) throw new UsageError(`cannot read the definitions: ${report.sourceError ?? report.invalid?.message ?? "invalid revision"}`);
        const rollout = status.rollout?.find((r) => r.application === application);
        const wave = f.wave === undefined ? undefined : positiveInt("--wave", f.wave, 0);
        const target = approvalTarget(desired, rollout, { application, ...(wave !== undefined ? { wave } : {}), ...(f.revision ? { revision: f.revision } : {}) });
        const clusters = desired.repo.clusters.filter((c) => target.wave.clusters.includes(c.metadata.name));
        const targets = createTargetCache({ helmBinary: f.helm ?? "helm", ...helmWorkerFlag(f), log: ctx.log, kubeconfig: kubeconfigPolicy(f, source, ctx.cwd) }).targets(clusters);
        const out = await storeApproval(target, targets, cliApprover());
        if (f.output === "json") ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        else {
          ctx.stdout.write(`approved wave ${out.wave} of ${out.application} at ${out.revision.slice(0, 12)} as ${out.by}; stored on ${out.stored.join(", ") || "no cluster"}\n`);
          for (const x of out.failed) ctx.stdout.write(`  not stored on ${x.cluster}: ${x.error}\n`);
          if (rollout) ctx.stdout.write(`${formatRollout(rollout).join("\n")}\n`);
        }
        if (out.stored.length === 0) process.exitCode = 1;
      } finally {
        await source.close();
      }
    });
};
