// `berth explain RELEASE --cluster C [DIR] [--source SRC [--ref REF]] [--output json]`:
// every value of one release with the layer and file:line that set it.
// Reads a directory, or a revision of a git source as the reconciler would.
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.ts";
import { loadRepo } from "../model/load.ts";
import type { Repo } from "../model/types.ts";
import { explainRelease, releaseNamesOn } from "../render/explain.ts";
import { formatExplanation } from "../render/explain-format.ts";
import type { CliContext } from "./context.ts";
import { cliChartSources, defaultCacheDir, repositoryCredentialsFlag } from "./chart-sources.ts";
import { gitTokenFileFlag, gitUsernameFlag, openFromFlags } from "./reconciler-flags.ts";

interface ExplainFlags {
  cluster: string;
  output: string;
  source?: string;
  ref?: string;
  cacheDir?: string;
  repositoryCredentialsDir?: string[];
  gitTokenFile?: string;
  gitUsername?: string;
}

async function loadFor(dir: string, f: ExplainFlags, ctx: CliContext): Promise<Repo> {
  const charts = cliChartSources(f, ctx.cwd, ctx.log);
  if (f.source === undefined) {
    if (f.ref !== undefined) throw new UsageError("--ref needs --source (a directory or git URL to read the ref from)");
    return loadRepo(resolve(ctx.cwd, dir), { charts });
  }
  const source = await openFromFlags(
    {
      source: f.source,
      ...(f.ref ? { ref: f.ref } : {}),
      cacheDir: f.cacheDir ?? defaultCacheDir(),
      ...(f.gitTokenFile ? { gitTokenFile: f.gitTokenFile } : {}),
      ...(f.gitUsername ? { gitUsername: f.gitUsername } : {}),
    },
    ctx.cwd,
    ctx.env,
  );
  try {
    const rev = await source.fetch();
    return await loadRepo(rev.dir, { charts });
  } finally {
    await source.close();
  }
}

export function registerExplain(program: Command, ctx: CliContext): void {
  program
    .command("explain")
    .description("every value of a release with the file:line that set it (WorkloadDefinition default, Component, Application entry, which Overlay) and what it overrode")
    .argument("<release>", "the release name (shop-api) or application/entry (shop/api)")
    .argument("[dir]", "definitions repository (or use --source)", ".")
    .requiredOption("--cluster <C>", "the cluster the release runs on")
    .option("--source <SRC>", "read a git source instead of DIR: a directory or a git URL (file://, https://, ssh://)")
    .option("--ref <REF>", "with --source: branch, tag or commit (default: the remote's default branch)")
    .option("--cache-dir <DIR>", "where sources are kept (with --source)")
    .option(...gitTokenFileFlag())
    .option(...gitUsernameFlag())
    .option("--output <format>", "text | json", "text")
    .option(...repositoryCredentialsFlag())
    .action(async (release: string, dir: string, f: ExplainFlags) => {
      if (f.output !== "text" && f.output !== "json") throw new UsageError(`--output must be text or json, not "${f.output}"`);
      const repo = await loadFor(dir, f, ctx);
      if (!repo.clusters.some((c) => c.metadata.name === f.cluster)) {
        throw new UsageError(`no cluster "${f.cluster}" in the repository (clusters: ${repo.clusters.map((c) => c.metadata.name).sort().join(", ") || "none"})`);
      }
      const e = explainRelease(repo, { cluster: f.cluster, release });
      if (!e) {
        throw new UsageError(`no release "${release}" on cluster ${f.cluster} (releases there: ${releaseNamesOn(repo, f.cluster).join(", ") || "none"})`);
      }
      ctx.stdout.write(f.output === "json" ? `${JSON.stringify(e, null, 2)}\n` : formatExplanation(e));
    });
}
