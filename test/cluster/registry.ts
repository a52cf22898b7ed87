/**
 * A real OCI registry on loopback: CNCF Distribution (built by build.sh),
 * in-memory storage, plain HTTP, no auth, charts pushed with `helm push`.
 *
 *   const registry = await startRegistry({ binaries, charts: Object.values(await ensureCharts(binaries)) });
 *   await execa(binaries.helm, ["pull", `${registry.url}/metrics-server`, "--version", "3.13.1", "--plain-http"]);
 *   await registry.stop();
 *
 * Its data dir (config, log, state.json) lives in ~/.cache/berth/runs/<pid>/
 * like a cluster's, so a run killed before stop() is reaped by the next one
 * (state.ts reapStaleRuns).
 */
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import type { Binaries } from "./binaries.ts";
import { freePorts } from "./ports.ts";
import { isAlive, spawnGroup, stopGroups } from "./processes.ts";
import { runsBaseDir, writeState } from "./state.ts";

export interface RegistryOptions {
  binaries: Pick<Binaries, "registry" | "helm">;
  /** Packaged charts (.tgz) to push under oci://<host>/charts once it is up. */
  charts?: readonly string[];
  /** Default: ~/.cache/berth/runs/<pid>. */
  baseDir?: string;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

export interface Registry {
  /** 127.0.0.1:<port> */
  host: string;
  /** oci://127.0.0.1:<port>/charts — pull `${url}/<chart>` with `--plain-http`. */
  url: string;
  dataDir: string;
  /** `helm push <tgz> <url> --plain-http`. */
  push(tgz: string): Promise<void>;
  stop(): Promise<void>;
}

function config(host: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  inmemory: {}",
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: ${host}`,
    "",
  ].join("\n");
}

/** Status of GET /v2/, or undefined while nothing listens. */
function probe(host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(`http://${host}/v2/`, { timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

async function waitUp(host: string, pid: number, log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await probe(host)) === 200) return;
    if (!isAlive(pid)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const tail = (await readFile(log, "utf8").catch(() => "")).split("\n").slice(-20).join("\n");
  throw new Error(`registry on ${host} not up after ${timeoutMs} ms (alive: ${isAlive(pid)}); log:\n${tail}`);
}

export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  const [port] = await freePorts(1);
  const host = `127.0.0.1:${port}`;
  const dataDir = join(options.baseDir ?? join(runsBaseDir(), String(process.pid)), `registry-${port}`);
  await mkdir(dataDir, { recursive: true });
  const configPath = join(dataDir, "config.yml");
  const logFile = join(dataDir, "registry.log");
  await writeFile(configPath, config(host));
  // The config path names the data dir on the command line, which is how state.ts
  // recognises the process as ours when it reaps.
  const pid = spawnGroup({
    command: "env",
    args: ["OTEL_TRACES_EXPORTER=none", options.binaries.registry, "serve", configPath],
    logFile,
  });
  await writeState({
    name: `registry-${port}`, dataDir, kubeconfigPath: "", server: `http://${host}`,
    owner: process.pid, startedAt: new Date().toISOString(), pids: { registry: pid },
  });
  // helm keeps registry logins and caches here, never in the user's ~/.config/helm.
  const helmHome = await mkdtemp(join(tmpdir(), "berth-registry-helm-"));
  const helmEnv = {
    HELM_CONFIG_HOME: join(helmHome, "config"),
    HELM_CACHE_HOME: join(helmHome, "cache"),
    HELM_DATA_HOME: join(helmHome, "data"),
  };
  const stop = async (): Promise<void> => {
    await stopGroups([pid], 2_000);
    await rm(dataDir, { recursive: true, force: true });
    await rm(helmHome, { recursive: true, force: true });
    if (options.baseDir === undefined) await rmdir(dirname(dataDir)).catch(() => undefined);
  };
  const url = `oci://${host}/charts`;
  const push = async (tgz: string): Promise<void> => {
    await execa(options.binaries.helm, ["push", tgz, url, "--plain-http"], { env: helmEnv });
  };
  try {
    await waitUp(host, pid, logFile, options.startTimeoutMs ?? 30_000);
    for (const chart of options.charts ?? []) await push(chart);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, url, dataDir, push, stop };
}
