// Runs the berth CLI in-process and captures what it prints. Progress is off
// unless a test asks for it (--progress, or BERTH_PROGRESS in the environment):
// many tests hold stderr to be empty.
import { PassThrough } from "node:stream";
import { run } from "../../src/cli/index.ts";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runBerth(args: string[], cwd?: string): Promise<CliResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (d) => (o += d));
  err.on("data", (d) => (e += d));
  const env = { ...process.env, BERTH_PROGRESS: process.env.BERTH_PROGRESS ?? "none" };
  const code = await run(args, { stdout: out, stderr: err, env, ...(cwd ? { cwd } : {}) });
  return { code, out: o, err: e };
}
