// Every helm call berth makes goes through here. The reconcile code sees only
// the HelmClient interface; tests count calls on it.
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { HelmError } from "../errors.ts";
import { runBounded } from "./helm/process.ts";
import { createHelmWorker, type HelmWorker, type WorkerOutcome, type WorkerRequest } from "./helm/worker.ts";
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
  /** Closes what the client keeps running (its Helm worker); later calls start it again. */
  close?(): void;
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
  /**
   * The Helm worker (helm-worker/, `--helm-worker`): Helm 4's SDK in one
   * long-lived process for this client, instead of a helm process per call.
   * Used when `binary` is Helm 4; Helm 3 keeps the process per call.
   */
  worker?: string;
  /** A worker idle this long is closed (default 5 minutes). */
  workerIdleMs?: number;
}

/** Which way a client runs helm: a worker for its life, or a process per call. */
export type HelmPath = "worker" | "process";

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
    return (await helmMajor()) >= 4 ? ["--force-conflicts"] : [];
  }

  function helmMajor(): Promise<number> {
    major ??= helm("version", ["version", "--template", "{{.Version}}"], 30_000, true).then(
      (v) => Number(/^v?(\d+)/.exec(v.trim())?.[1] ?? 3),
      () => 3,
    );
    return major;
  }

  // The worker is Helm 4: it stands in for a Helm 4 binary only (a Helm 3 one keeps its processes).
  const worker: HelmWorker | undefined = opts.worker
    ? createHelmWorker({
        binary: opts.worker,
        // the manager the helm binary would apply as (its file name), so both paths own the same fields
        args: [...base, `--field-manager=${basename(opts.binary)}`],
        log: opts.log,
        killGraceMs: opts.killGraceMs ?? 5_000,
        ...(opts.workerIdleMs !== undefined ? { idleMs: opts.workerIdleMs } : {}),
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      })
    : undefined;
  let path: Promise<HelmPath> | undefined;
  function helmPath(): Promise<HelmPath> {
    path ??= worker
      ? helmMajor().then((m) => {
          const chosen: HelmPath = m >= 4 ? "worker" : "process";
          opts.log.debug({ path: chosen, worker: opts.worker, binary: opts.binary }, chosen === "worker" ? "helm: the Helm worker runs this cluster's releases" : "helm: Helm 3 binary, a helm process per call (the worker is Helm 4)");
          return chosen;
        })
      : Promise.resolve("process");
    return path;
  }

  /** One request to the worker, with the process path's errors and bounds. */
  async function viaWorker(req: WorkerRequest): Promise<string> {
    calls++;
    const verb = req.op;
    const started = Date.now();
    const slack = opts.slackMs ?? Math.min(30_000, Math.ceil(req.timeoutMs / 2));
    const deadline = req.timeoutMs + slack;
    const args = [verb, `${req.namespace}/${req.release}`, "(helm worker)"];
    if (opts.signal?.aborted) throw new HelmError(`helm ${verb} was stopped because berth is shutting down`, { args, stderr: "" });
    const out: WorkerOutcome = await worker!.request(req, deadline);
    const ok = out.kind === "answer" && out.answer.ok;
    opts.onCall?.(verb, Date.now() - started, ok);
    if (out.kind === "answer" && out.answer.ok) return out.answer.output ?? "";
    if (out.kind === "answer" && out.answer.code === "cancelled" && opts.signal?.aborted) {
      throw new HelmError(`helm ${verb} was stopped (cancelled in the helm worker) because berth is shutting down`, { args, stderr: out.answer.error ?? "" });
    }
    if (out.kind === "hung" || (out.kind === "answer" && (out.answer.code === "timeout" || out.answer.code === "cancelled"))) {
      const how = out.kind === "hung" ? "the helm worker did not answer by 1.5x that and was killed (SIGTERM, then SIGKILL)" : "it was cancelled in the helm worker";
      throw new HelmError(`helm ${verb} did not finish within ${secs(deadline)}; ${how}`, { args, stderr: out.kind === "answer" ? (out.answer.error ?? "") : "", timedOut: true });
    }
    if (out.kind === "died") {
      throw new HelmError(`helm ${verb} failed: ${out.reason}; give the worker with --helm-worker or BERTH_HELM_WORKER, or leave it out to run a helm process per call`, { args, stderr: out.reason });
    }
    // as the helm binary prints its error: "Error: ..." on stderr, the last line in the message
    const stderr = `Error: ${out.answer.error ?? "unknown"}`.slice(-4000);
    throw new HelmError(`helm ${verb} failed: ${stderr.split("\n").at(-1)}`, { args, stderr });
  }

  return {
    get calls() {
      return calls;
    },
    close() {
      worker?.close();
    },
    async upgradeInstall(o) {
      if ((await helmPath()) === "worker") {
        await viaWorker({
          op: "upgrade", release: o.release, namespace: o.namespace, chartDir: o.chartDir, values: o.values, labels: o.labels,
          timeoutMs: o.timeoutMs, maxHistory: o.maxHistory ?? 10, skipCrds: o.skipCrds === true,
        });
        return;
      }
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
      if ((await helmPath()) === "worker") {
        await viaWorker({ op: "rollback", release: o.release, namespace: o.namespace, revision: o.revision, timeoutMs: o.timeoutMs, maxHistory: o.maxHistory ?? 10 });
        return;
      }
      await helm(
        "rollback",
        ["rollback", o.release, String(o.revision), "--namespace", o.namespace, "--wait", "--timeout", secs(o.timeoutMs), "--history-max", String(o.maxHistory ?? 10), ...(await forceConflicts())],
        o.timeoutMs,
      );
    },
    async template(o) {
      if ((await helmPath()) === "worker") {
        return viaWorker({ op: "template", release: o.release, namespace: o.namespace, chartDir: o.chartDir, values: o.values, isUpgrade: o.isUpgrade, timeoutMs: o.timeoutMs });
      }
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
      if ((await helmPath()) === "worker") {
        await viaWorker({ op: "uninstall", release: o.release, namespace: o.namespace, timeoutMs: o.timeoutMs });
        return;
      }
      await helm("uninstall", ["uninstall", o.release, "--namespace", o.namespace, "--wait", "--timeout", secs(o.timeoutMs)], o.timeoutMs);
    },
  };
}
