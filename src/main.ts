// Composition root: one logger, the adapters, then the CLI.
import { run } from "./cli/index.ts";

process.exitCode = await run(process.argv.slice(2));
// Backstop: every request and child has its own bound, so nothing should be
// left holding the event loop once the command is done; if something still
// is (a bug), the process ends anyway instead of hanging after its output.
setTimeout(() => process.exit(), 2_000).unref();
