import type { Writable } from "node:stream";
import type { Logger } from "../log.ts";

/** What every command gets: where to write, and the root logger. */
export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  cwd: string;
  /** The environment flags default from (process.env, unless the caller gives another). */
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** A command sets this when it must exit with something other than 0 without an error. */
  setExitCode(code: number): void;
}
