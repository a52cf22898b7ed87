// berth as its users run it, for the benchmarks: compiled (`tsc -p
// tsconfig.build.json` into .bench-dist, beside src/ so that the package root
// resolves as in dist/, and bin/berth.js keeps running the sources) and
// started as `node <the Dockerfile's ENTRYPOINT flags> main.js serve ...` in
// a process of its own, whose CPU and memory (helm children and the Helm
// worker included) bench/peer/proc.ts reads from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { Tree } from "./peer/proc.ts";
import { servingUrl } from "../test/support/serving.ts";

const ROOT = join(new URL(".", import.meta.url).pathname, "..");
export const DIST = join(ROOT, ".bench-dist");

/** node's flags as the image runs berth: between "node" and "dist/main.js" in the Dockerfile's ENTRYPOINT. */
export const NODE_FLAGS = ((): string[] => {
  const line = readFileSync(join(ROOT, "Dockerfile"), "utf8").match(/^ENTRYPOINT (\[.*\])$/m);
  const argv = line ? (JSON.parse(line[1]!) as string[]) : [];
  const main = argv.indexOf("dist/main.js");
  if (argv[0] !== "node" || main < 0) throw new Error(`Dockerfile: ENTRYPOINT should run node ... dist/main.js, got ${line?.[1]}`);
  return argv.slice(1, main);
})();

/** How the benchmarks say what they ran. */
export const SERVE_COMMAND = `node ${[...NODE_FLAGS, "dist/main.js"].join(" ")} serve`;

export async function compileBerth(log: (m: string) => void): Promise<void> {
  log("compiling berth (tsc -p tsconfig.build.json --outDir .bench-dist)...");
  await execa("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", DIST], { cwd: ROOT, stdout: process.stderr, stderr: process.stderr });
}

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  /** Its process tree as proc.ts reads it: berth, its helm children, its Helm worker. */
  tree: Tree;
  get<T>(path: string): Promise<T | undefined>;
  stop(): Promise<void>;
}

/** Starts `serve` with `args` (after "serve"), its stderr in `errFile`; resolves once it listens. */
export async function startServe(args: string[], errFile: string): Promise<ServeProcess> {
  // BERTH_BENCH_NODE_FLAGS: more node flags, to look inside (e.g. --cpu-prof --cpu-prof-dir=DIR)
  const more = process.env.BERTH_BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  const proc = spawn(process.execPath, [...NODE_FLAGS, ...more, join(DIST, "main.js"), "serve", "--port", "0", "--host", "127.0.0.1", ...args], {
    env: { ...process.env, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? "error" },
    stdio: ["ignore", "pipe", openSync(errFile, "w")],
  });
  const stop = async () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once("exit", r)));
  };
  try {
    const url = await servingUrl(proc, "berth serve", () => `(its log: ${errFile})`);
    return {
      proc,
      url,
      tree: { root: proc.pid!, keep: (c) => c === "helm" || c.startsWith("berth-helm-work") },
      async get<T>(path: string) {
        const r = await fetch(`${url}${path}`).catch(() => undefined);
        return r?.ok ? ((await r.json()) as T) : undefined;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
