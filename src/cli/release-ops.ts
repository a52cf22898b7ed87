// history, rollback and resume: one release on one cluster.
import type { Command } from "commander";
import type { RegisterCommand } from "./index.ts";
import { UsageError } from "../errors.ts";
import { findRelease, manualRollback, resume } from "../reconcile/manual.ts";
import { withStepLogs } from "../reconcile/memo.ts";
import { createTargetCache } from "../reconcile/targets.ts";
import { addSourceFlags, helmWorkerFlag, kubeconfigPolicy, openFromFlags, positiveInt, reconcilerFromFlags, type SourceFlags } from "./reconciler-flags.ts";
import type { CliContext } from "./context.ts";
import type { DesiredRevision } from "../reconcile/revision.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";

type Flags = SourceFlags & { cluster?: string; namespace?: string; output?: string; to?: string; logs?: boolean };

/** Loads the definitions, finds the cluster named by --cluster, and hands its target to `fn`. */
async function withCluster(ctx: CliContext, f: Flags, fn: (x: { target: ClusterTarget; desired: DesiredRevision }) => Promise<void>) {
  if (!f.cluster) throw new UsageError("--cluster is required");
  const source = await openFromFlags(f, ctx.cwd);
  try {
    const { report, status } = await reconcilerFromFlags(f, source, ctx.log).snapshot();
    const desired = report.desired;
    if (!desired) throw new UsageError(`cannot read the definitions: ${report.sourceError ?? "invalid revision"}`);
    const cluster = desired.repo.clusters.find((c) => c.metadata.name === f.cluster);
    if (!cluster) throw new UsageError(`no Cluster ${f.cluster} in the definitions; there are ${status.clusters.map((c) => c.name).join(", ")}`);
    const target = createTargetCache({ helmBinary: f.helm ?? "helm", ...helmWorkerFlag(f), log: ctx.log, kubeconfig: kubeconfigPolicy(f, source, ctx.cwd) }).targets([cluster])[0]!;
    await fn({ target, desired });
  } finally {
    await source.close();
  }
}

/** The namespace git places a release in on that cluster now, if it does. */
const nsOf = (desired: DesiredRevision, cluster: string, release: string) => desired.byCluster.get(cluster)?.find((s) => s.name === release)?.namespace;

const releaseCmd = (program: Command, name: string) =>
  addSourceFlags(program.command(`${name} <RELEASE>`))
    .requiredOption("--cluster <NAME>", "the cluster")
    .option("--namespace <NS>", "when the release name exists in several namespaces");

export const registerReleaseOps: RegisterCommand = (program, ctx) => {
  releaseCmd(program, "history")
    .description("every action berth took on a release: commit, versions, steps, result, Helm revision")
    .option("--output <FORMAT>", "text or json", "text")
    .option("--logs", "with the step Jobs' logs (read from the release's Secret berth-steps-<release>)")
    .action(async (release: string, f: Flags) => {
      await withCluster(ctx, f, async ({ target, desired }) => {
        const rel = await findRelease(target, release, f.namespace, nsOf(desired, target.name, release));
        // Step logs may hold secrets: read from their Secret only when asked, with the caller's own cluster access.
        const records = f.logs ? withStepLogs(rel.book.records, await target.kube.readStepLogs(rel.namespace, rel.name)) : rel.book.records;
        if (f.output === "json") {
          ctx.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
          return;
        }
        ctx.stdout.write(`release ${rel.name} in ${rel.namespace} on cluster ${target.name}${rel.book.memo.suspendedDigest ? " (suspended)" : ""}\n`);
        for (const r of records) {
          const move = r.fromVersion || r.toVersion ? ` ${r.fromVersion ?? "-"} -> ${r.toVersion ?? "-"}` : "";
          ctx.stdout.write(`${r.at}  ${r.commit.slice(0, 12)}  ${r.action}${move}  ${r.result}  rev ${r.helmRevision ?? "-"}  ${r.durationMs} ms\n`);
          for (const s of r.steps) {
            ctx.stdout.write(`    step ${s.kind} ${s.to}: ${s.succeeded ? "ok" : "failed"} (job ${s.job})\n`);
            if (s.logs) for (const line of s.logs.trimEnd().split("\n")) ctx.stdout.write(`      | ${line}\n`);
          }
          for (const d of r.drifted ?? []) ctx.stdout.write(`    drifted ${d}\n`);
          if (r.error) ctx.stdout.write(`    error: ${r.error}\n`);
        }
      });
    });

  releaseCmd(program, "rollback")
    .description("roll a release back to a Helm revision (running the rollback steps of the versions it crosses) and suspend its automatic reconciliation until git changes it or `berth resume`")
    .requiredOption("--to <REVISION>", "the Helm revision (see `berth history`)")
    .action(async (release: string, f: Flags) => {
      const revision = positiveInt("--to", f.to, 0);
      await withCluster(ctx, f, async ({ target, desired }) => {
        const rel = await findRelease(target, release, f.namespace, nsOf(desired, target.name, release));
        const spec = desired.byCluster.get(target.name)?.find((s) => s.name === rel.name && s.namespace === rel.namespace);
        await manualRollback(target, spec, rel, revision, desired.commit, positiveInt("--helm-timeout", f.helmTimeout, 300) * 1000, { log: ctx.log });
        ctx.stdout.write(`rolled back ${rel.name} on ${target.name} to revision ${revision}; automatic reconciliation is suspended until git changes it or \`berth resume ${rel.name} --cluster ${target.name}\`\n`);
      });
    });

  releaseCmd(program, "resume")
    .description("lift the suspension set by `berth rollback`")
    .action(async (release: string, f: Flags) => {
      await withCluster(ctx, f, async ({ target, desired }) => {
        const rel = await findRelease(target, release, f.namespace, nsOf(desired, target.name, release));
        const application = desired.byCluster.get(target.name)?.find((s) => s.name === rel.name && s.namespace === rel.namespace)?.application;
        await resume(target, rel, { commit: desired.commit, ...(application ? { application } : {}) });
        ctx.stdout.write(`resumed ${rel.name} on ${target.name}; the next reconcile brings it back to git\n`);
      });
    });
};
