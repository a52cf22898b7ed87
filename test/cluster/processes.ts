import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

// Every cluster process runs in its own process group (detached), so a
// Ctrl-C in the terminal reaches the test runner first and the runner decides
// how to stop them. Pids of the processes this Node process started are kept
// here so they can be killed synchronously on exit, SIGINT or SIGTERM, even
// when a test or hook throws. (Module state on purpose: it mirrors the one
// process table the exit handlers must see.)
const owned = new Set<number>();
let hooksInstalled = false;

export interface SpawnOptions {
  command: string;
  args: readonly string[];
  /** File that receives stdout and stderr (appended). */
  logFile: string;
  /** Leave running after this Node process exits (`npm run cluster -- up`). */
  keepAfterExit?: boolean;
}

/** Starts a process in its own process group and returns its pid. */
export function spawnGroup(options: SpawnOptions): number {
  const log = openSync(options.logFile, "a");
  try {
    const child = spawn(options.command, options.args, {
      detached: true,
      stdio: ["ignore", log, log],
    });
    if (child.pid === undefined) throw new Error(`could not start ${options.command}`);
    // Reap the child when it ends so isAlive() never sees a zombie.
    child.on("error", () => undefined);
    child.unref();
    if (!options.keepAfterExit) {
      owned.add(child.pid);
      installExitHooks();
    }
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** True while the process runs (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The state letter follows the parenthesised command name.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** The process's command line, or "" when it does not exist. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops processes: SIGTERM to each group, then SIGKILL to what still runs
 * after `graceMs`. Resolves once all are gone.
 */
export async function stopGroups(pids: readonly number[], graceMs = 5_000): Promise<void> {
  const running = pids.filter(isAlive);
  for (const pid of running) signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (running.some(isAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of running.filter(isAlive)) signalGroup(pid, "SIGKILL");
  while (running.some(isAlive)) await sleep(20);
  for (const pid of pids) owned.delete(pid);
}

/** Kills every process group this Node process started (synchronous). */
export function killOwnedSync(): void {
  for (const pid of owned) signalGroup(pid, "SIGKILL");
  owned.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once("exit", killOwnedSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killOwnedSync();
      // Nobody else handles it (the runner would): re-raise so the default action ends the process.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
