// The URL a `berth serve` child prints once it listens ("berth serving on
// URL"); fails when it exits first or does not listen in time, with the tail
// of what it logged.
import type { ChildProcess } from "node:child_process";

export function servingUrl(proc: ChildProcess, name: string, log: () => string, timeoutMs = 60_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start serving within ${timeoutMs / 1000} s:\n${out}\n${log().slice(-2000)}`)), timeoutMs);
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /berth serving on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${log().slice(-2000)}`));
    });
  });
}
