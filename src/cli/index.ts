import { Command, CommanderError } from "commander";
import { createLogger } from "../log.ts";
import { UsageError, BerthError, formatIssue, ValidationError } from "../errors.ts";
import { EXIT, exitCodeFor } from "./exit.ts";
import type { CliContext } from "./context.ts";
import { registerDiff } from "./diff.ts";
import { registerRender } from "./render.ts";
import type { Writable } from "node:stream";
import { registerValidate } from "./validate.ts";
import { registerPlan } from "./plan.ts";
import { registerReconcile } from "./reconcile.ts";
import { registerStatus } from "./status.ts";
import { registerReleaseOps } from "./release-ops.ts";
import { registerDrift } from "./drift.ts";
import { registerServe } from "./serve.ts";
import { registerExplain } from "./explain.ts";
import { registerApprove } from "./approve.ts";
import { registerCompletion } from "./completion.ts";

export interface RunOptions {
  stdout?: Writable;
  stderr?: Writable;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

// Each command lives in its own file and registers itself here.
export type RegisterCommand = (program: Command, ctx: CliContext) => void;
const commands: RegisterCommand[] = [
  registerValidate,
  registerRender,
  registerDiff,
  registerPlan,
  registerReconcile,
  registerStatus,
  registerReleaseOps,
  registerApprove,
  registerDrift,
  registerServe,
  registerExplain,
  registerCompletion,
];

/** The berth program with every command registered on it. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command("berth")
    .description("GitOps reconciler with a Helm chart generator")
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  for (const register of commands) register(program, ctx);
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit). */
export async function run(argv: string[], opts: RunOptions = {}): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  let exitCode: number = EXIT.ok;
  const ctx: CliContext = {
    stdout,
    stderr,
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? process.env,
    log: createLogger({ level: process.env.BERTH_LOG_LEVEL ?? "error" }),
    setExitCode: (c) => (exitCode = c),
  };
  const program = createProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    reportError(err, stderr);
    return exitCodeFor(err);
  }
}

function reportError(err: unknown, stderr: Writable): void {
  if (err instanceof ValidationError) {
    for (const i of err.issues) stderr.write(`${formatIssue(i)}\n`);
    stderr.write(`${err.issues.length} problem${err.issues.length === 1 ? "" : "s"} found\n`);
  } else if (err instanceof UsageError) {
    stderr.write(`error: ${err.message}\n`);
  } else if (err instanceof BerthError) {
    stderr.write(`error: ${err.message}\n`);
  } else {
    stderr.write(`error: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
}
