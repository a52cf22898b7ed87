// Every helm call berth makes goes through here. The reconcile code sees only
// the HelmClient interface; tests count calls on it.
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HelmError } from "../errors.ts";
import { runBounded } from "./helm/process.ts";
import type { JsonObject } from "../model/types.ts";
import { groupsToSend, type Impersonation } from "./kube/impersonate.ts";
import type { Logger } from "../log.ts";

export interface UpgradeOptions {
  release: string;
  namespace: string;
  chartDir: string;
  values: JsonObject;
  /** Labels stored on the release (helm >= 3.13 `--labels`): berth's ownership and digest. */
  labels: Record<string, string>;
  timeoutMs: number;
  /** `--history-max`: the Cluster's helm.maxHistory; 0 keeps every revision (Helm's unlimited); absent, 10. */
  maxHistory?: number;
  /** `--skip-crds`: a first install leaves the chart's crds/ alone (the entry's `crds: skip`). */
  skipCrds?: boolean;
}

export interface RollbackOptions {
  release: string;
  namespace: string;
  revision: number;
  timeoutMs: number;
  /** `--history-max`: the Cluster's helm.maxHistory; 0 keeps every revision (Helm's unlimited); absent, 10. */
  maxHistory?: number;
}

export interface TemplateOptions {
  release: string;
  namespace: string;
  chartDir: string;
  values: JsonObject;
  /** Render as an upgrade (`.Release.IsUpgrade`) rather than a first install. */
  isUpgrade: boolean;
  timeoutMs: number;
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
  /** `helm template --include-crds`: the manifest an install would apply (hooks and CRDs included), without touching the cluster. */
  template(o: TemplateOptions): Promise<string>;
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
  /** berth is stopping: a running helm gets SIGTERM (it cancels and marks its release failed), SIGKILL after killGraceMs. */
  signal?: AbortSignal;
  /** Extra time helm gets beyond its own --timeout before berth terminates it (default: half of it, at most 30 s). */
  slackMs?: number;
  onCall?: (verb: string, ms: number, ok: boolean) => void;
  /** Act as this identity on the cluster (`--kube-as-user` / `--kube-as-group`), so the API server's RBAC decides. */
  impersonate?: Impersonation;
}

const secs = (ms: number) => `${Math.max(1, Math.ceil(ms / 1000))}s`;

export function createHelm(opts: HelmOptions): HelmClient {
  let calls = 0;
  let major: Promise<number> | undefined;
  const base = [
    ...(opts.kubeconfig ? ["--kubeconfig", opts.kubeconfig] : []),
    ...(opts.context ? ["--kube-context", opts.context] : []),
    // `--flag=value`: a value is never read as a flag of its own
    ...(opts.impersonate ? [`--kube-as-user=${opts.impersonate.user}`, ...groupsToSend(opts.impersonate).map((g) => `--kube-as-group=${g}`)] : []),
  ];

  /** Runs one helm command; with `stdout`, returns what it printed (through a private file, like stderr). */
  async function helm(verb: string, args: string[], timeoutMs: number, stdout = false): Promise<string> {
    calls++;
    const full = [...args, ...base];
    const started = Date.now();
    const slack = opts.slackMs ?? Math.min(30_000, Math.ceil(timeoutMs / 2));
    // stderr goes to a file, not a pipe: a killed helm's stray children must not hold berth waiting on a stream.
    const dir = await mkdtemp(join(tmpdir(), "berth-helm-"));
    const errFile = join(dir, "stderr");
    const errFd = await open(errFile, "w");
    const outFile = join(dir, "stdout");
    const outFd = stdout ? await open(outFile, "w", 0o600) : undefined;
    try {
      // helm's own --timeout bounds its waiting; berth's timeout bounds a hung process.
      const r = await runBounded(opts.binary, full, errFd.fd, timeoutMs + slack, opts.killGraceMs ?? 5_000, outFd?.fd, opts.signal).catch((err: Error) => {
        throw new HelmError(`cannot run helm (${opts.binary}): ${err.message}; give the binary with --helm or BERTH_HELM`, { args: [verb, ...full], stderr: "", cause: err });
      });
      if (r.code === 0 && !r.timedOut) {
        opts.onCall?.(verb, Date.now() - started, true);
        return stdout ? await readFile(outFile, "utf8") : "";
      }
      opts.onCall?.(verb, Date.now() - started, false);
      const stderr = (await readFile(errFile, "utf8").catch(() => "")).trim().slice(-4000);
      const msg = opts.signal?.aborted && !r.timedOut
        ? `helm ${verb} was stopped (SIGTERM) because berth is shutting down`
        : r.timedOut
        ? `helm ${verb} did not finish within ${secs(timeoutMs + slack)} and was terminated (SIGTERM, then SIGKILL)`
        : `helm ${verb} failed: ${stderr.split("\n").at(-1) || `exit ${r.code ?? r.signal}`}`;
      throw new HelmError(msg, { args: [verb, ...full], stderr, timedOut: r.timedOut });
    } finally {
      await errFd.close();
      await outFd?.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Helm 4 applies server-side: a field someone edited by hand conflicts with
   * the next upgrade unless berth forces it (git wins, as Helm 3's three-way
   * merge does). Probed once, lazily, so a run that changes nothing stays at
   * zero helm calls.
   */
  async function forceConflicts(): Promise<string[]> {
    major ??= helm("version", ["version", "--template", "{{.Version}}"], 30_000, true).then(
      (v) => Number(/^v?(\d+)/.exec(v.trim())?.[1] ?? 3),
      () => 3,
    );
    return (await major) >= 4 ? ["--force-conflicts"] : [];
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
            ...(o.skipCrds ? ["--skip-crds"] : []),
            ...(await forceConflicts()),
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
        ["rollback", o.release, String(o.revision), "--namespace", o.namespace, "--wait", "--timeout", secs(o.timeoutMs), "--history-max", String(o.maxHistory ?? 10), ...(await forceConflicts())],
        o.timeoutMs,
      );
    },
    async template(o) {
      // values as for upgradeInstall: a private file, never the command line
      const dir = await mkdtemp(join(tmpdir(), "berth-values-"));
      const file = join(dir, "values.json");
      try {
        await writeFile(file, JSON.stringify(o.values), { mode: 0o600 });
        return await helm(
          "template",
          ["template", o.release, o.chartDir, "--namespace", o.namespace, "--values", file, "--include-crds", ...(o.isUpgrade ? ["--is-upgrade"] : [])],
          o.timeoutMs,
          true,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async uninstall(o) {
      await helm("uninstall", ["uninstall", o.release, "--namespace", o.namespace, "--wait", "--timeout", secs(o.timeoutMs)], o.timeoutMs);
    },
  };
}
