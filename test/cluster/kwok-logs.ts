/**
 * The logs kwok serves for every container of every pod, as a kubelet would:
 * `kubectl logs` (the API server's pods/log) reaches kwok's kubelet-like server
 * through the node's InternalIP and kubeletEndpoint port (kwok-stages.yaml's
 * node-initialize), and kwok reads the file a ClusterLogs names. A follow tails
 * that file until the client goes away; `--previous` reads the previous file.
 *
 * The lines are fixed so tests (and the page's) can look for them.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What any container's log holds, oldest first. */
export const KWOK_LOG_LINES: readonly string[] = [
  "berth test log line 1",
  "berth test log line 2",
  "berth test log line 3",
  "berth test log line 4",
  "berth test log line 5",
];

/** What any container's previous run logged (kwok gives it for every container, restarted or not). */
export const KWOK_PREVIOUS_LOG_LINES: readonly string[] = [
  "berth test previous log line 1",
  "berth test previous log line 2",
];

/** kwok reads CRI log files: `<RFC 3339 time> <stream> F <text>`, one line each. */
export function criLog(lines: readonly string[], at: Date): string {
  // a millisecond apart, so the lines keep their order under --timestamps and since
  return lines.map((line, i) => `${new Date(at.getTime() + i).toISOString()} stdout F ${line}\n`).join("");
}

/**
 * Writes the two log files (in a directory of their own: a follow watches the
 * file's directory) and a kwok config of one ClusterLogs naming them for every
 * pod and container. Returns the config's path, for kwok's --config.
 */
export async function writeKwokLogs(dir: string, at = new Date()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const current = join(dir, "container.log");
  const previous = join(dir, "previous.log");
  const config = join(dir, "kwok-logs.yaml");
  await Promise.all([
    writeFile(current, criLog(KWOK_LOG_LINES, at)),
    writeFile(previous, criLog(KWOK_PREVIOUS_LOG_LINES, at)),
    // No selector: every pod. One entry without containers: every container.
    // (Whether to follow is the request's follow; kwok v0.8.0 reads no field for it.)
    writeFile(
      config,
      [
        "apiVersion: kwok.x-k8s.io/v1alpha1",
        "kind: ClusterLogs",
        "metadata:",
        "  name: berth-test-logs",
        "spec:",
        "  logs:",
        `    - logsFile: ${JSON.stringify(current)}`,
        `      previousLogsFile: ${JSON.stringify(previous)}`,
        "",
      ].join("\n"),
    ),
  ]);
  return config;
}
