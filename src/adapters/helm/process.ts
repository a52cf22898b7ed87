// Running the helm binary: stderr (and stdout when asked) on file descriptors,
// never pipes, so a killed helm's stray children cannot hold berth waiting on a
// stream; past its deadline, or when berth stops, SIGTERM then SIGKILL.
import { spawn } from "node:child_process";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * Runs a command with stderr on a file descriptor (not a pipe, so a killed
 * process's stray children never hold berth waiting) and terminates it past
 * its deadline: SIGTERM, then SIGKILL after the grace.
 */
export function runBounded(binary: string, args: string[], stderrFd: number, timeoutMs: number, graceMs: number, stdoutFd?: number, signal?: AbortSignal): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      stdio: ["ignore", stdoutFd ?? "ignore", stderrFd],
      env: { ...process.env, HELM_NO_PLUGINS: "1", HELM_DRIVER: "secret" },
    });
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const stop = () => {
      if (kill) return;
      child.kill("SIGTERM");
      kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
    };
    const term = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    if (signal?.aborted) stop();
    signal?.addEventListener("abort", stop, { once: true });
    const done = () => {
      clearTimeout(term);
      clearTimeout(kill);
      signal?.removeEventListener("abort", stop);
    };
    child.on("error", (err) => {
      done();
      reject(err);
    });
    child.on("exit", (code, sig) => {
      done();
      resolve({ code, signal: sig, timedOut });
    });
  });
}
