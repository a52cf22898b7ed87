// The Helm worker (helm-worker/, Helm 4's SDK in one long-lived process per
// cluster access): JSON lines over stdio, requests with ids, several at once.
// The worker cancels a request at its deadline; one that gets no answer by
// 1.5x the deadline has a hung worker, which is killed (SIGTERM, then SIGKILL)
// and started again at the next request. A worker that dies fails what it was
// running; the next request starts a new one.
import { spawn, type ChildProcess } from "node:child_process";
import { statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Logger } from "../../log.ts";

/** What the worker protocol speaks (helm-worker/main.go: `protocol`). */
export const WORKER_PROTOCOL = 1;

export type WorkerOp = "upgrade" | "rollback" | "uninstall" | "template";

export interface WorkerRequest {
  op: WorkerOp;
  release: string;
  namespace: string;
  chartDir?: string;
  values?: unknown;
  labels?: Record<string, string>;
  /** Helm's own --timeout (its waits). */
  timeoutMs: number;
  maxHistory?: number;
  skipCrds?: boolean;
  revision?: number;
  isUpgrade?: boolean;
}

export interface WorkerAnswer {
  id: number;
  ok: boolean;
  output?: string;
  error?: string;
  /** timeout | cancelled | invalid | failed */
  code?: string;
  /** install | upgrade | rollback | uninstall | template */
  action?: string;
  /** Where the request's time went in the worker, ms (load, history, build, apply, wait, discovery, run, total). */
  phases?: Record<string, number>;
}

/** How a request ended, as berth sees it. */
export type WorkerOutcome =
  | { kind: "answer"; answer: WorkerAnswer }
  /** No answer by 1.5x the deadline: the worker was killed. */
  | { kind: "hung" }
  /** The worker could not start, or died while the request ran. */
  | { kind: "died"; reason: string };

export interface WorkerOptions {
  binary: string;
  /** --kubeconfig, --kube-context, --kube-as-user, --kube-as-group flags. */
  args: string[];
  log: Logger;
  /** Grace between SIGTERM and SIGKILL when a hung worker is killed. */
  killGraceMs: number;
  /** A worker idle this long is closed (restarted at the next request); default 5 minutes. */
  idleMs?: number;
  /** How long a starting worker may take to say hello; default 30 s. */
  startTimeoutMs?: number;
  /** The kubeconfig it reads once: a changed file (mtime, size) gets a new worker. */
  kubeconfig?: string;
  /** berth is stopping: running requests are cancelled in the worker, which is killed after killGraceMs. */
  signal?: AbortSignal;
}

export interface HelmWorker {
  /** Sends one request; `deadlineMs` is when the worker cancels it. */
  request(req: WorkerRequest, deadlineMs: number): Promise<WorkerOutcome>;
  /** The Helm version the running (or next) worker reports; starts one if none runs. */
  version(): Promise<string>;
  /** Closes the worker (it finishes what runs, then exits). */
  close(): void;
  /** Worker processes started so far (restarts included). */
  readonly started: number;
}

interface Pending {
  resolve: (o: WorkerOutcome) => void;
  timer: NodeJS.Timeout;
}

interface Proc {
  child: ChildProcess;
  hello: Promise<string>;
  pending: Map<number, Pending>;
  stderr: string[];
  exited: boolean;
  /** The kubeconfig as it was when this worker started. */
  stamp: string;
  idle?: NodeJS.Timeout;
  /** Listens to berth's stop signal while it runs. */
  onAbort: () => void;
}

const fileStamp = (path?: string): string => {
  if (!path) return "";
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return "missing";
  }
};

export function createHelmWorker(o: WorkerOptions): HelmWorker {
  let current: Proc | undefined;
  let nextId = 0;
  let started = 0;
  const idleMs = o.idleMs ?? 300_000;

  /** Node waits for a worker only while it has requests: an idle one never holds berth from exiting. */
  function hold(p: Proc, on: boolean) {
    for (const h of [p.child, p.child.stdin, p.child.stdout, p.child.stderr] as ({ ref(): void; unref(): void } | null)[]) {
      if (on) h?.ref();
      else h?.unref();
    }
  }

  function settleAll(p: Proc, outcome: WorkerOutcome) {
    for (const [id, w] of p.pending) {
      clearTimeout(w.timer);
      p.pending.delete(id);
      w.resolve(outcome);
    }
  }

  function kill(p: Proc, why: string) {
    if (p.exited) return;
    o.log.warn({ pid: p.child.pid, why }, "helm worker: killing it (SIGTERM, then SIGKILL)");
    p.child.kill("SIGTERM");
    setTimeout(() => p.exited || p.child.kill("SIGKILL"), o.killGraceMs).unref();
  }

  function retire(p: Proc) {
    if (current === p) current = undefined;
    clearTimeout(p.idle);
    // on stdin's end the worker answers what it runs, then exits
    p.child.stdin?.end();
  }

  function start(): Proc {
    started++;
    const child = spawn(o.binary, o.args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, HELM_DRIVER: "secret", HELM_NO_PLUGINS: "1" } });
    const p: Proc = { child, pending: new Map(), stderr: [], exited: false, stamp: fileStamp(o.kubeconfig), hello: Promise.resolve(""), onAbort: () => {} };
    let helloSeen: (v: string) => void = () => {};
    let helloFailed: (e: Error) => void = () => {};
    p.hello = new Promise<string>((res, rej) => {
      helloSeen = res;
      helloFailed = rej;
    });
    // a rejected hello is handled by whoever awaits it; never an unhandled rejection
    p.hello.catch(() => {});
    const startTimer = setTimeout(() => {
      helloFailed(new Error(`no hello within ${o.startTimeoutMs ?? 30_000} ms`));
      kill(p, "no hello");
    }, o.startTimeoutMs ?? 30_000);
    startTimer.unref();

    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      let msg: { hello?: { protocol?: number; helm?: string } } & Partial<WorkerAnswer>;
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        o.log.warn({ pid: child.pid, line: line.slice(0, 200) }, "helm worker: unreadable line");
        return;
      }
      if (msg.hello) {
        clearTimeout(startTimer);
        if (msg.hello.protocol !== WORKER_PROTOCOL) {
          helloFailed(new Error(`it speaks protocol ${msg.hello.protocol}, berth ${WORKER_PROTOCOL}`));
          kill(p, "protocol mismatch");
          return;
        }
        helloSeen(msg.hello.helm ?? "");
        if (p.pending.size === 0) idle(p);
        return;
      }
      const w = typeof msg.id === "number" ? p.pending.get(msg.id) : undefined;
      if (!w) return; // answer to a request already given up on
      clearTimeout(w.timer);
      p.pending.delete(msg.id!);
      if (p.pending.size === 0) idle(p);
      w.resolve({ kind: "answer", answer: msg as WorkerAnswer });
    });
    createInterface({ input: child.stderr! }).on("line", (line) => {
      p.stderr.push(line);
      if (p.stderr.length > 20) p.stderr.shift();
      o.log.warn({ pid: child.pid, helm: line.slice(0, 500) }, "helm worker says");
    });
    const died = (reason: string) => {
      if (p.exited) return;
      p.exited = true;
      o.signal?.removeEventListener("abort", p.onAbort);
      clearTimeout(startTimer);
      clearTimeout(p.idle);
      if (current === p) current = undefined;
      const tail = p.stderr.join("\n").trim().slice(-2000);
      const why = tail ? `${reason}: ${tail.split("\n").at(-1)}` : reason;
      helloFailed(new Error(why));
      settleAll(p, { kind: "died", reason: why });
    };
    child.on("error", (err) => died(`cannot run the helm worker (${o.binary}): ${err.message}`));
    child.on("exit", (code, sig) => died(`the helm worker exited (${code ?? sig})`));
    // a write to a worker that just died: its exit settles the requests
    child.stdin!.on("error", () => {});
    // berth is stopping: as SIGTERM to helm, each running action is cancelled (and marks its release failed)
    p.onAbort = () => {
      if (p.exited) return;
      for (const id of p.pending.keys()) p.child.stdin?.write(`${JSON.stringify({ id, op: "cancel" })}\n`);
      if (p.pending.size > 0) setTimeout(() => p.pending.size > 0 && kill(p, "berth is stopping"), o.killGraceMs).unref();
      retire(p);
    };
    // only a running worker listens, so many clusters' clients add no listeners to the one signal
    o.signal?.addEventListener("abort", p.onAbort, { once: true });
    o.log.debug({ pid: child.pid, binary: o.binary }, "helm worker started");
    // held until its hello: whoever started it is waiting for it
    return p;
  }

  function idle(p: Proc) {
    hold(p, false);
    clearTimeout(p.idle);
    p.idle = setTimeout(() => retire(p), idleMs);
    p.idle.unref();
  }

  function worker(): Proc {
    if (current && !current.exited && o.kubeconfig && fileStamp(o.kubeconfig) !== current.stamp) {
      o.log.info({ kubeconfig: o.kubeconfig }, "helm worker: the kubeconfig changed; a new worker takes the next requests");
      retire(current);
    }
    if (!current || current.exited) current = start();
    return current;
  }


  return {
    get started() {
      return started;
    },
    async version() {
      return worker().hello;
    },
    async request(req, deadlineMs) {
      if (o.signal?.aborted) return { kind: "died", reason: "berth is shutting down" };
      const p = worker();
      clearTimeout(p.idle);
      try {
        await p.hello;
      } catch (err) {
        return { kind: "died", reason: (err as Error).message };
      }
      if (p.exited) return { kind: "died", reason: "the helm worker exited" };
      const id = ++nextId;
      return new Promise<WorkerOutcome>((resolve) => {
        const timer = setTimeout(() => {
          p.pending.delete(id);
          resolve({ kind: "hung" });
          // the others on it fail with it: a worker that misses a deadline by half is not trusted
          kill(p, `request ${id} (${req.op} ${req.namespace}/${req.release}) got no answer within 1.5x its deadline`);
          if (current === p) current = undefined;
        }, Math.ceil(deadlineMs * 1.5));
        p.pending.set(id, { resolve, timer });
        hold(p, true);
        p.child.stdin!.write(`${JSON.stringify({ ...req, id, deadlineMs })}\n`);
      });
    },
    close() {
      if (current) retire(current);
    },
  };
}
