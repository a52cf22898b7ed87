// `berth validate [DIR]`: load and check a definitions repository.
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { loadRepo } from "../model/load.ts";
import { where } from "../model/issue.ts";
import type { Repo } from "../model/types.ts";
import type { RegisterCommand } from "./index.ts";
import { cliChartSources, repositoryCredentialsFlag } from "./chart-sources.ts";
import { requireProjectFlag } from "./reconciler-flags.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

export function summary(repo: Repo): string {
  const userWorkloads = repo.workloads.filter((w) => !w.builtin).length;
  const userTraits = repo.traits.filter((t) => !t.builtin).length;
  return [
    plural(repo.components.length, "component"),
    ...(repo.charts.length ? [plural(repo.charts.length, "chart component")] : []),
    plural(repo.applications.length, "application"),
    plural(repo.overlays.length, "overlay"),
    plural(repo.clusters.length, "cluster"),
    ...(repo.projects.length ? [plural(repo.projects.length, "project")] : []),
    `${plural(repo.workloads.length, "workload")} (${userWorkloads} from the repository)`,
    `${plural(repo.traits.length, "trait")} (${userTraits} from the repository)`,
  ].join(", ");
}

export const registerValidate: RegisterCommand = (program, ctx) => {
  program
    .command("validate")
    .description("check a definitions repository; errors as file:line:col field: message")
    .argument("[dir]", "the repository root", ".")
    .option(...requireProjectFlag())
    .option(...repositoryCredentialsFlag())
    .action(async (dir: string, opts: { requireProject?: boolean; repositoryCredentialsDir?: string[] }) => {
      const root = resolve(ctx.cwd, dir);
      const st = await stat(root).catch(() => undefined);
      if (!st?.isDirectory()) throw new UsageError(`${dir} is not a directory`);
      const repo = await loadRepo(root, { requireProject: opts.requireProject === true, charts: cliChartSources(opts, ctx.cwd, ctx.log) });
      // a source that cannot be read does not make the repository invalid, but its releases would be blocked
      for (const c of repo.charts) {
        if (c.offered && "unavailable" in c.offered) ctx.stderr.write(`warning: ${where(c.origin, ["spec", "chart"])} spec.chart: ${c.offered.unavailable}; its releases would be blocked until it can be read\n`);
      }
      ctx.stdout.write(`ok: ${summary(repo)}\n`);
    });
};
