// `berth render [DIR] --out OUT`: charts under OUT/charts, values and release
// metadata per release under OUT/releases/<cluster>/<application>/.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { loadRepo } from "../model/load.ts";
import { outputFiles, renderRepo } from "../render/output.ts";
import type { CliContext } from "./context.ts";
import { cliChartSources, repositoryCredentialsFlag } from "./chart-sources.ts";
import { requireProjectFlag } from "./reconciler-flags.ts";

export async function writeOutput(out: string, files: Record<string, string>): Promise<void> {
  // only the folders berth owns are replaced, so stale releases disappear
  await rm(join(out, "charts"), { recursive: true, force: true });
  await rm(join(out, "releases"), { recursive: true, force: true });
  for (const [path, text] of Object.entries(files)) {
    const file = join(out, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

export function registerRender(program: Command, ctx: CliContext): void {
  program
    .command("render")
    .description("render a definitions repository into Helm charts and per-release values")
    .argument("[dir]", "definitions repository", ".")
    .requiredOption("--out <dir>", "output directory (charts/ and releases/ are replaced)")
    .option(...requireProjectFlag())
    .option(...repositoryCredentialsFlag())
    .action(async (dir: string, opts: { out: string; requireProject?: boolean; repositoryCredentialsDir?: string[] }) => {
      const repo = await loadRepo(resolve(ctx.cwd, dir), { requireProject: opts.requireProject === true, charts: cliChartSources(opts, ctx.cwd, ctx.log) });
      const rendered = renderRepo(repo);
      const out = resolve(ctx.cwd, opts.out);
      await writeOutput(out, outputFiles(rendered));
      ctx.stdout.write(`rendered ${rendered.charts.length} charts and ${rendered.releases.length} releases into ${out}\n`);
    });
}
