import { BerthError } from "../errors.ts";

export const EXIT = { ok: 0, invalid: 1, usage: 2, changes: 3 } as const;

/** The only mapping from errors to exit codes. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof BerthError) {
    return err.code === "USAGE" ? EXIT.usage : EXIT.invalid;
  }
  return EXIT.invalid;
}
