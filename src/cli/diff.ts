// `berth diff --base REV [--head REV] [DIR] [--format text|markdown]`: renders
// two revisions (the head defaults to the work tree) and prints what changed.
// Exit 0 no changes, 3 changes, 1 invalid input, 2 usage.
import { resolve } from "node:path";
import type { Command } from "commander";
import { snapshotRevision } from "../adapters/git-archive.ts";
import { UsageError } from "../errors.ts";
import { loadRepo } from "../model/load.ts";
import { diffRendered, hasChanges } from "../render/diff.ts";
import { formatMarkdown, formatText } from "../render/diff-format.ts";
import { renderRepo, type Rendered } from "../render/output.ts";
import type { CliContext } from "./context.ts";
import { EXIT } from "./exit.ts";

async function renderAt(dir: string, rev: string | undefined, flag: string): Promise<Rendered> {
  if (rev === undefined) return renderRepo(await loadRepo(dir));
  const snap = await snapshotRevision(dir, rev, flag);
  try {
    return renderRepo(await loadRepo(snap.dir));
  } finally {
    await snap.dispose();
  }
}

export function registerDiff(program: Command, ctx: CliContext): void {
  program
    .command("diff")
    .description("what a change does to the rendered charts, values and versions (exit 3 on changes)")
    .argument("[dir]", "definitions repository inside a git work tree", ".")
    .requiredOption("--base <rev>", "the revision to compare against")
    .option("--head <rev>", "the revision to compare (default: the work tree)")
    .option("--format <format>", "text | markdown", "text")
    .action(async (dir: string, opts: { base: string; head?: string; format: string }) => {
      if (opts.format !== "text" && opts.format !== "markdown") {
        throw new UsageError(`--format must be text or markdown, not "${opts.format}"`);
      }
      const root = resolve(ctx.cwd, dir);
      const base = await renderAt(root, opts.base, "--base");
      const head = await renderAt(root, opts.head, "--head");
      const d = diffRendered(base, head);
      ctx.stdout.write(opts.format === "markdown" ? formatMarkdown(d) : formatText(d));
      ctx.setExitCode(hasChanges(d) ? EXIT.changes : EXIT.ok);
    });
}
