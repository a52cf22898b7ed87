// `berth diff --base REV [--head REV] [DIR] [--format text|markdown] [--no-manifests] [--show-secrets]`:
// renders two revisions (the head defaults to the work tree) and prints what
// changed, with the Kubernetes objects of the changed releases' manifests
// (`helm template` of both sides, diff-manifests.ts) unless --no-manifests.
// Values of secret-looking keys are masked unless --show-secrets; the
// markdown (what a pull request gets) adds the head's rollout order.
// Exit 0 no changes, 3 changes, 1 invalid input, 2 usage.
import { resolve } from "node:path";
import type { Command } from "commander";
import { snapshotRevision } from "../adapters/git-archive.ts";
import { createHelm } from "../adapters/helm.ts";
import { UsageError } from "../errors.ts";
import { loadRepo } from "../model/load.ts";
import { diffRendered, hasChanges } from "../render/diff.ts";
import { annotateSources } from "../render/diff-sources.ts";
import type { Repo } from "../model/types.ts";
import { formatMarkdown, formatText, type Revision } from "../render/diff-format.ts";
import { maskDiff } from "../render/diff-mask.ts";
import { rolloutOrder } from "../render/diff-rollout.ts";
import { renderRepo, type Rendered } from "../render/output.ts";
import type { CliContext } from "./context.ts";
import { diffManifests } from "./diff-manifests.ts";
import { EXIT } from "./exit.ts";
import { cliChartSources, repositoryCredentialsFlag } from "./chart-sources.ts";
import type { ChartSources } from "../adapters/charts/sources.ts";

/** A revision loaded and rendered; the Repo stays for naming where each change is set (diff-sources.ts), and its commit for the heading. */
async function renderAt(dir: string, rev: string | undefined, flag: string, charts: ChartSources): Promise<{ repo: Repo; rendered: Rendered; revision?: Revision }> {
  const at = async (root: string) => {
    const repo = await loadRepo(root, { charts });
    return { repo, rendered: renderRepo(repo) };
  };
  if (rev === undefined) return at(dir);
  const snap = await snapshotRevision(dir, rev, flag);
  try {
    return { ...(await at(snap.dir)), revision: { rev, commit: snap.commit } };
  } finally {
    await snap.dispose();
  }
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command("diff")
    .description(
      "what a change does to the rendered charts, values and versions, and to the Kubernetes objects of each changed release " +
        "(helm template of both sides; --no-manifests skips helm) (exit 3 on changes)",
    )
    .argument("[dir]", "definitions repository inside a git work tree", ".")
    .requiredOption("--base <rev>", "the revision to compare against")
    .option("--head <rev>", "the revision to compare (default: the work tree)")
    .option("--format <format>", "text | markdown", "text")
    .option("--no-manifests", "skip the helm template step: charts, values and versions only (fast, offline, no helm needed)")
    .option(
      "--show-secrets",
      "show the values of keys that look secret (password, passwd, token, secret, key, apikey, credentials, private) and of Secrets' data; " +
        "without it they read •••••• (and •••••• (changed) where they changed), in values and in manifests",
    )
    .option("--helm <PATH>", "helm binary (Helm 4 or 3) for the object diff", process.env.BERTH_HELM ?? "helm")
    .option(...repositoryCredentialsFlag())
    .action(async (dir: string, opts: { base: string; head?: string; format: string; manifests: boolean; showSecrets?: boolean; helm: string; repositoryCredentialsDir?: string[] }) => {
      if (opts.format !== "text" && opts.format !== "markdown") {
        throw new UsageError(`--format must be text or markdown, not "${opts.format}"`);
      }
      const root = resolve(ctx.cwd, dir);
      const sources = cliChartSources(opts, ctx.cwd, ctx.log);
      const b = await renderAt(root, opts.base, "--base", sources);
      const h = await renderAt(root, opts.head, "--head", sources);
      const [base, head] = [b.rendered, h.rendered];
      let d = annotateSources(diffRendered(base, head), { base: b.repo, head: h.repo });
      if (opts.manifests) {
        d = await diffManifests(d, { base, head }, { helm: createHelm({ binary: opts.helm, log: ctx.log }), sources, showSecrets: opts.showSecrets === true });
        for (const r of d.releases) {
          if (r.objects && "error" in r.objects) ctx.stderr.write(`warning: objects of ${r.key} not compared: ${r.objects.error}\n`);
        }
      }
      if (!opts.showSecrets) d = maskDiff(d);
      if (opts.format === "markdown") {
        d = { ...d, rollout: rolloutOrder(h.repo, head.releases, d) };
        ctx.stdout.write(formatMarkdown(d, { ...(b.revision ? { base: b.revision } : {}), ...(h.revision ? { head: h.revision } : {}) }));
      } else ctx.stdout.write(formatText(d));
      ctx.setExitCode(hasChanges(d) ? EXIT.changes : EXIT.ok);
    });
}
