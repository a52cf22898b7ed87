// berth as a service: the reconcile loop and the HTTP server in one process.
// Each pass: the leader reconciles (runOnce), then every replica refreshes
// the status snapshot (a dry run) that the API, page and probes read.
import type { Logger } from "../log.ts";
import type { Reconciler, RunReport } from "../reconcile/loop.ts";
import type { GitSource } from "../reconcile/source.ts";
import { runWatch } from "../reconcile/watch.ts";
import type { ApiOptions } from "./api.ts";
import type { TokenEntry } from "./auth.ts";
import type { Metrics } from "./metrics.ts";
import type { Route } from "./router.ts";
import { createSerial, type Serial } from "./serial.ts";
import { apiHost, createApp, listen, publicRouter, type Listening } from "./server.ts";
import { createServeState, notifyStateChange, type ServeState } from "./state.ts";

/** Leader election as serve sees it; without one this replica always leads. */
export interface LeaderHook {
  isLeader(): boolean;
  /** Called with the new value on every change; may return an unsubscribe function. */
  onChange(cb: (leading: boolean) => void): (() => void) | void;
}

export interface ServiceOptions {
  reconciler: Reconciler;
  source: GitSource;
  metrics: Metrics;
  log: Logger;
  history: ApiOptions["history"];
  /**
   * --auth-file's tokens, read per request: every route but the public ones
   * needs one, actions a role that allows them. Absent: the API and page are
   * served on loopback only (a non-loopback host is refused), and nobody acts.
   */
  tokens?: () => readonly TokenEntry[];
  /** More routes (per-release reads, actions); see Route.access. Actions reach the loop through `control`. */
  routes?: (state: ServeState, control: ServiceControl) => Route[];
  port: number;
  /** Default: 0.0.0.0 with tokens, 127.0.0.1 without. */
  host?: string;
  /** A second listener for the public routes only (/healthz, /readyz, /metrics, /hooks/git), off loopback. */
  probe?: { port: number; host?: string };
  intervalMs: number;
  webhookSecret(): string | undefined;
  webhookBodyLimit?: number;
  leader?: LeaderHook;
  /**
   * Extra work after each pass on the leader (drift detection: check, then
   * metrics.setDrift). Its errors are logged and never stop the loop.
   */
  afterPass?: (p: { report: RunReport; metrics: Metrics }) => Promise<void>;
}

/** What an action route may ask of the running service. */
export interface ServiceControl {
  /** Runs a pass as soon as the current one ends. */
  trigger(): void;
  /**
   * The queue the leader's reconcile (and its drift check) runs in: an action
   * that writes a release's records runs in it too, after the running pass.
   */
  serial: Serial;
  /** Whether this replica leads (reconciles) now; with a cluster and --shards, whether it acts for that cluster's shard. */
  leading(cluster?: string): boolean;
}

export interface Service {
  url: string;
  /** The public routes' own listener, with `probe`. */
  probeUrl?: string;
  state: ServeState;
  /** Runs a pass as soon as the current one ends (what the webhook calls). */
  trigger(): void;
  /** The queue the leader's pass and the API's actions share (see ServiceControl). */
  serial: Serial;
  /** Resolves after the next pass that started after this call has ended. */
  nextPass(): Promise<void>;
  /** Stops taking requests, lets the running pass finish, stops the loop. */
  close(): Promise<void>;
}

export async function startService(o: ServiceOptions): Promise<Service> {
  const host = apiHost(o.host, o.tokens !== undefined);
  const state = createServeState();
  const isLeader = () => (o.leader ? o.leader.isLeader() : true);
  state.leader = isLeader();
  o.metrics.setLeader(state.leader);
  const stop = new AbortController();
  let waiters: Array<{ after: number; resolve: () => void }> = [];
  let passes = 0;
  const serial = createSerial();

  // One pass of the service, shaped as a Reconciler so that runWatch drives it
  // (interval, trigger coalescing, one at a time). A follower only reads.
  async function pass(): Promise<RunReport> {
    const started = ++passes;
    try {
      let report: RunReport | undefined;
      if (isLeader()) {
        // In the queue the API's actions use: none writes a record while the pass does.
        report = await serial.run("the reconcile pass", async () => {
          const r = await o.reconciler.runOnce();
          state.lastRun = r;
          state.lastRunAt = new Date();
          o.metrics.observeRun(r);
          await o.afterPass?.({ report: r, metrics: o.metrics }).catch((err: unknown) => o.log.error({ err: (err as Error).message }, "after-pass hook failed"));
          return r;
        });
      }
      const snap = await o.reconciler.snapshot();
      state.snapshot = { ...snap, at: new Date() };
      // The leader's run counted its fetch already; a follower only fetches here.
      if (!report && snap.report.sourceError) o.metrics.countFetchError();
      o.metrics.observeStatus(snap.status);
      delete state.loopError;
      notifyStateChange(state);
      return report ?? snap.report;
    } finally {
      const ready = waiters.filter((w) => w.after < started);
      waiters = waiters.filter((w) => w.after >= started);
      for (const w of ready) w.resolve();
    }
  }

  const loop = runWatch({ ...o.reconciler, runOnce: pass }, o.source, {
    intervalMs: o.intervalMs,
    signal: stop.signal,
    onReport: () => undefined,
    onError: (err) => {
      state.loopError = (err as Error).message;
      o.log.error({ err: (err as Error).message }, "reconcile pass failed");
    },
  });

  const unsubscribe = o.leader?.onChange((leading) => {
    state.leader = leading;
    o.metrics.setLeader(leading);
    notifyStateChange(state);
    o.log.info({ leader: leading }, leading ? "became the leader; reconciling" : "lost the leadership; serving reads only");
    if (leading) loop.trigger();
  });

  const app = createApp({
    state,
    metrics: o.metrics,
    log: o.log,
    history: o.history,
    ...(o.tokens ? { tokens: o.tokens } : {}),
    ...(o.routes ? { routes: o.routes(state, { trigger: () => loop.trigger(), serial, leading: isLeader }) } : {}),
    // a push may come with a new chart version: the indexes are read again at once, not at their interval
    webhook: {
      secret: o.webhookSecret,
      trigger: () => { o.reconciler.refreshCharts(); loop.trigger(); },
      ...(o.webhookBodyLimit ? { bodyLimit: o.webhookBodyLimit } : {}),
      // only a push to this ref starts a pass
      followed: o.source.ref !== undefined ? { ref: o.source.ref } : {},
      onDelivery: o.metrics.countWebhook,
    },
  });
  const listeners: Listening[] = [];
  try {
    listeners.push(await listen(app, o.port, host));
    if (o.probe) listeners.push(await listen(publicRouter(app, o.log), o.probe.port, o.probe.host ?? "0.0.0.0"));
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    stop.abort();
    await loop.done;
    throw err;
  }
  const [http, probe] = listeners as [Listening, Listening | undefined];
  o.log.info({ url: http.url, ...(probe ? { probes: probe.url } : {}), auth: o.tokens ? "tokens" : "none" }, "serving");
  if (!o.tokens) o.log.info({ url: http.url }, "no --auth-file: the API and page are served on loopback only, and nobody may act through them");

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    ...(probe ? { probeUrl: probe.url } : {}),
    state,
    trigger: loop.trigger,
    serial,
    nextPass: () => new Promise<void>((resolve) => waiters.push({ after: passes, resolve })),
    close: () =>
      (closing ??= (async () => {
        stop.abort();
        if (typeof unsubscribe === "function") unsubscribe();
        await Promise.all(listeners.map((l) => l.close()));
        await loop.done;
      })()),
  };
}
