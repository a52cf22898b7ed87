// Every helm call berth makes goes through here. The reconcile code sees only
// the HelmClient interface; tests count calls on it.
import { execa } from "execa";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HelmError } from "../errors.ts";
import type { JsonObject } from "../model/types.ts";
import type { Logger } from "../log.ts";

export interface UpgradeOptions {
  release: string;
  namespace: string;
  chartDir: string;
  values: JsonObject;
  /** Labels stored on the release (helm >= 3.13 `--labels`): berth's ownership and digest. */
  labels: Record<string, string>;
  timeoutMs: number;
  maxHistory?: number;
}

export interface RollbackOptions {
  release: string;
  namespace: string;
  revision: number;
  timeoutMs: number;
  maxHistory?: number;
}

export interface UninstallOptions {
  release: string;
  namespace: string;
  timeoutMs: number;
}

export interface HelmClient {
  /** `helm upgrade --install --wait`; resolves when the release is healthy. */
  upgradeInstall(o: UpgradeOptions): Promise<void>;
  rollback(o: RollbackOptions): Promise<void>;
  uninstall(o: UninstallOptions): Promise<void>;
  /** Helm calls made so far (a no-op reconcile must make none). */
  readonly calls: number;
}

export interface HelmOptions {
  binary: string; // path or name of the helm executable (Helm 4 or 3)
  kubeconfig?: string;
  context?: string;
  log: Logger;
  /** Grace between SIGTERM and SIGKILL when a call passes its timeout. */
  killGraceMs?: number;
  /** Extra time helm gets beyond its own --timeout before berth terminates it (default: half of it, at most 30 s). */
  slackMs?: number;
  onCall?: (verb: string, ms: number, ok: boolean) => void;
}

const secs = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;

export function createHelm(opts: HelmOptions): HelmClient {
  let calls = 0;
  const base = [
    ...(opts.kubeconfig ? ["--kubeconfig", opts.kubeconfig] : []),
    ...(opts.context ? ["--kube-context", opts.context] : []),
  ];

  async function helm(verb: string, args: string[], timeoutMs: number): Promise<void> {
    calls++;
    const full = [...args, ...base];
    const started = Date.now();
    const slack = opts.slackMs ?? Math.min(30_000, Math.ceil(timeoutMs / 2));
    try {
      // helm's own --timeout bounds its waiting; berth's timeout bounds a hung process.
      await execa(opts.binary, full, {
        timeout: timeoutMs + slack,
        killSignal: "SIGTERM",
        forceKillAfterDelay: opts.killGraceMs ?? 5_000,
        stdin: "ignore",
        env: { HELM_NO_PLUGINS: "1", HELM_DRIVER: "secret" },
      });
      opts.onCall?.(verb, Date.now() - started, true);
    } catch (err) {
      opts.onCall?.(verb, Date.now() - started, false);
      const e = err as { timedOut?: boolean; stderr?: string; shortMessage?: string; isTerminated?: boolean };
      const stderr = String(e.stderr ?? "").trim().slice(-4000);
      const timedOut = Boolean(e.timedOut);
      const msg = timedOut
        ? `helm ${verb} did not finish within ${secs(timeoutMs + slack)} and was terminated (SIGTERM, then SIGKILL)`
        : `helm ${verb} failed: ${stderr.split("\n").at(-1) || e.shortMessage}`;
      throw new HelmError(msg, { args: [verb, ...full], stderr, timedOut, cause: err });
    }
  }

  return {
    get calls() {
      return calls;
    },
    async upgradeInstall(o) {
      // Values go through a private temporary file, never the command line (ps, logs).
      const dir = await mkdtemp(join(tmpdir(), "berth-values-"));
      const file = join(dir, "values.json");
      try {
        await writeFile(file, JSON.stringify(o.values), { mode: 0o600 });
        const labels = Object.entries(o.labels).map(([k, v]) => `${k}=${v}`).join(",");
        await helm(
          "upgrade",
          [
            "upgrade", o.release, o.chartDir, "--install",
            "--namespace", o.namespace,
            "--values", file,
            "--labels", labels,
            "--wait", "--wait-for-jobs",
            "--timeout", secs(o.timeoutMs),
            "--history-max", String(o.maxHistory ?? 10),
          ],
          o.timeoutMs,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async rollback(o) {
      await helm(
        "rollback",
        ["rollback", o.release, String(o.revision), "--namespace", o.namespace, "--wait", "--timeout", secs(o.timeoutMs), "--history-max", String(o.maxHistory ?? 10)],
        o.timeoutMs,
      );
    },
    async uninstall(o) {
      await helm("uninstall", ["uninstall", o.release, "--namespace", o.namespace, "--wait", "--timeout", secs(o.timeoutMs)], o.timeoutMs);
    },
  };
}
