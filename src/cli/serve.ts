// `berth serve`: the reconcile loop plus HTTP (probes, metrics, API, webhook,
// page). startServe is the composition the command and the tests share.
import { readFileSync } from "node:fs";
import type { RegisterCommand } from "./index.ts";
import { UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { createReconciler, type Reconciler } from "../reconcile/loop.ts";
import type { GitSource } from "../reconcile/source.ts";
import { createTargetCache, type KubeconfigPolicy } from "../reconcile/targets.ts";
import type { HistoryOptions, ReleaseHistory } from "../server/api.ts";
import { withStepLogs } from "../reconcile/memo.ts";
import { createMetrics, type Metrics } from "../server/metrics.ts";
import { createLocate } from "../server/release-locate.ts";
import { releaseReadRoutes } from "../server/release-reads.ts";
import { releaseActionRoutes } from "../server/release-actions.ts";
import { approveRoute } from "../server/approve.ts";
import { driftSchedule } from "../reconcile/drift-schedule.ts";
import { startService, type LeaderHook, type ServiceOptions } from "../server/service.ts";
import { watchAuthFile } from "../server/auth-file.ts";
import type { TokenEntry } from "../server/auth.ts";
import { apiHost } from "../server/server.ts";
import { notifyStateChange, onStateChange, type ServeState } from "../server/state.ts";
import { addLeaderFlags, leaderFromFlags, shardsFromFlags, type LeaderFlags } from "./leader-flags.ts";
import type { ShardManager } from "../reconcile/shards.ts";
import { shardOf } from "../reconcile/shard-plan.ts";
import { addNotifyFlags, notifyFromFlags, type NotifyFlags } from "./notify-flags.ts";
import { createNotifier } from "../notify/notifier.ts";
import type { NotifyPolicy } from "../notify/trust.ts";
import { addSourceFlags, defaultRenderer, helmWorkerFlag, kubeconfigPolicy, repositoryCredentialDirs, repositoryUrls, openFromFlags, positiveInt, rendererFromFlags, stopSignal, type SourceFlags } from "./reconciler-flags.ts";
import type { Renderer } from "../reconcile/revision.ts";

export type { LeaderHook };

export interface ServeOptions {
  /** An opened source (the caller keeps ownership: close() does not close it). */
  source: GitSource;
  cacheDir: string;
  helmBinary: string;
  /** The Helm worker (--helm-worker); absent: $BERTH_HELM_WORKER; "": a helm process per call. */
  helmWorker?: string;
  log: Logger;
  port?: number;
  /** Where the API and page listen; default 0.0.0.0 with tokens, 127.0.0.1 without (off loopback is refused without tokens). */
  host?: string;
  /** --auth-file's tokens (read per request); absent: the API is on loopback only, and nobody acts. */
  tokens?: () => readonly TokenEntry[];
  /** --probe-port/--probe-host: a second listener for /healthz, /readyz, /metrics and /hooks/git only. */
  probe?: { port: number; host?: string };
  /** More routes, beside the per-release reads and actions serve always has; see Route.access. */
  routes?: ServiceOptions["routes"];
  intervalMs?: number;
  /** The shared webhook secret, or how to read it per request (a mounted file that rotates); none: every webhook call gets 401. */
  webhookSecret?: string | (() => string | undefined);
  concurrency?: number;
  helmTimeoutMs?: number;
  /** Environment for kubeconfig path expansion. */
  env?: NodeJS.ProcessEnv;
  /** What Clusters' kubeconfigs may reach (--kubeconfig-dir, --insecure-kubeconfig-exec). */
  kubeconfig?: KubeconfigPolicy;
  /** Where ChartRepositories' credential files may be (--repository-credentials-dir). */
  repositoryCredentialDirs?: string[];
  /** ChartRepository URLs berth may read (--repository-url-allow); absent: any. */
  repositoryUrls?: string[];
  /** How a revision is loaded and rendered (--require-project); default: defaultRenderer. */
  renderer?: Renderer;
  /** Leader election: only the leader reconciles; absent, this replica always leads. */
  leader?: LeaderHook;
  /**
   * Sharding (--shards K): this replica acts only for the clusters of the
   * shards it holds (and "leads" while it holds one); every replica reads all.
   * Takes the place of `leader`.
   */
  shards?: ShardManager;
  /** Metrics registry to feed (the drift engine calls metrics.setDrift). */
  metrics?: Metrics;
  /** Extra work after each leader pass, e.g. drift detection (see startService). */
  afterPass?: ServiceOptions["afterPass"];
  /** How often the leader compares live objects with what Helm applied; 0 or absent: never. */
  driftIntervalMs?: number;
  /** berth is stopping (SIGTERM): running helm calls stop, none start, pending revisions are marked failed. */
  signal?: AbortSignal;
  /**
   * Notifications (--notification-credentials-dir, --notification-url-allow,
   * --notification-namespace); absent: no file is read and nothing posted, so
   * every sink of a Notification in git is refused (and logged).
   */
  notify?: { policy: NotifyPolicy; namespace: string };
}

export interface ServeHandle {
  url: string;
  probeUrl?: string;
  state: ServeState;
  metrics: Metrics;
  reconciler: Reconciler;
  trigger(): void;
  nextPass(): Promise<void>;
  close(): Promise<void>;
}

export async function startServe(o: ServeOptions): Promise<ServeHandle> {
  const metrics = o.metrics ?? createMetrics({ processMetrics: true });
  // Only the leader's passes reach it (progress of a pass that acts, afterPass); it queues and returns.
  const notifier = createNotifier({
    policy: o.notify?.policy ?? { credentialDirs: [], urls: [] },
    namespace: o.notify?.namespace ?? "berth-system",
    source: o.source,
    kube: (c) => targets.targets([c])[0]!.kube,
    log: o.log.child({ component: "notify" }),
    onOutcome: metrics.countNotification,
  });
  const reconciler = createReconciler({
    source: o.source,
    renderer: notifier.observe(o.renderer ?? defaultRenderer),
    progress: notifier.progress,
    log: o.log,
    cacheDir: o.cacheDir,
    helmBinary: o.helmBinary,
    ...(o.helmWorker !== undefined ? { helmWorker: o.helmWorker } : {}),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    ...(o.helmTimeoutMs ? { helmTimeoutMs: o.helmTimeoutMs } : {}),
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.repositoryCredentialDirs ? { repositoryCredentialDirs: o.repositoryCredentialDirs } : {}),
    ...(o.repositoryUrls ? { repositoryUrls: o.repositoryUrls } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    onHelmCall: metrics.onHelmCall,
    ...(o.shards ? { actsFor: actsFor(o.shards), shards: o.shards.shards, replica: o.shards.identity } : {}),
  });
  const leader: LeaderHook | undefined = o.shards ? shardLeader(o.shards) : o.leader;
  // A release's history, reads and actions find it on its cluster; the clusters are those of the latest snapshot.
  const targets = createTargetCache({ helmBinary: o.helmBinary, ...(o.helmWorker !== undefined ? { helmWorker: o.helmWorker } : {}), log: o.log, ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) });
  const held: { state?: ServeState } = {};
  const locate = createLocate({ state: () => held.state, targets: (c) => targets.targets(c) });
  async function history(cluster: string, release: string, namespace: string | undefined, ho: HistoryOptions): Promise<ReleaseHistory> {
    const { target, found: rel } = await locate(cluster, release, namespace);
    // Step logs live in a Secret; read only for a request that may see them.
    const records = ho.logs ? withStepLogs(rel.book.records, await target.kube.readStepLogs(rel.namespace, rel.name)) : rel.book.records;
    return { cluster, release: rel.name, namespace: rel.namespace, suspended: Boolean(rel.book.memo.suspendedDigest), records };
  }
  // The per-release reads and actions; the actions run in the loop's queue (release-actions.ts).
  const routes: NonNullable<ServiceOptions["routes"]> = (state, given) => {
    // with shards, an action on a cluster is taken only by the replica acting for its shard
    const control = o.shards ? { ...given, leading: (cluster?: string) => (cluster === undefined ? given.leading() : actsForName(o.shards!, state, cluster)) } : given;
    return releaseRoutes(state, control);
  };
  const releaseRoutes: NonNullable<ServiceOptions["routes"]> = (state, control) => [
    ...releaseReadRoutes({ locate, log: o.log }),
    ...releaseActionRoutes({ state, control, locate, log: o.log, helmTimeoutMs: o.helmTimeoutMs ?? 300_000 }),
    approveRoute({ state, control, targets: (c) => targets.targets(c), log: o.log }),
    ...(o.routes?.(state, control) ?? []),
  ];
  // After a leader's pass, at most once per interval: drift per release into metrics, corrected where the application asks.
  let lastDrift: ServeState["drift"];
  const drift = driftSchedule({
    check: (x) => reconciler.checkDrift(x),
    intervalMs: o.driftIntervalMs ?? 0,
    onDrift: metrics.setDrift,
    onRun: (run) => {
      notifier.afterDrift(run);
      lastDrift = { run, at: new Date() };
      if (held.state) held.state.drift = lastDrift;
    },
    log: o.log,
  });
  const service = await startService({
    reconciler,
    source: o.source,
    metrics,
    log: o.log,
    history,
    port: o.port ?? 8080,
    ...(o.host ? { host: o.host } : {}),
    ...(o.tokens ? { tokens: o.tokens } : {}),
    ...(o.probe ? { probe: o.probe } : {}),
    routes,
    intervalMs: o.intervalMs ?? 30_000,
    webhookSecret: typeof o.webhookSecret === "function" ? o.webhookSecret : () => o.webhookSecret as string | undefined,
    ...(leader ? { leader } : {}),
    afterPass: async (p) => {
      notifier.afterPass(p.report);
      await o.afterPass?.(p);
      await drift();
    },
  });
  held.state = service.state;
  if (lastDrift) service.state.drift = lastDrift;
  const unshard = o.shards ? wireShards(o.shards, service, metrics) : undefined;
  return {
    ...service,
    metrics,
    reconciler,
    // deliveries waiting in backoff are dropped: what was not sent is derived again only by a pass that sees it again
    close: async () => {
      unshard?.();
      await service.close();
      notifier.close();
    },
  };
}

/** Whether this replica acts for a cluster now: its shard (as the latest status shows it) is held here. */
function actsForName(shards: ShardManager, state: ServeState, cluster: string): boolean {
  const shard = state.snapshot?.status.clusters.find((c) => c.name === cluster)?.shard;
  return shard !== undefined && shards.acting().has(shard);
}

/** At the start of each pass: the clusters of the shards held now. */
function actsFor(shards: ShardManager) {
  return () => {
    const acting = shards.acting();
    return (c: Parameters<typeof shardOf>[0]) => acting.has(shardOf(c, shards.shards));
  };
}

/** A replica that holds a shard "leads" (runs passes that act); gaining a shard triggers a pass at once. */
function shardLeader(shards: ShardManager): LeaderHook {
  return {
    isLeader: () => shards.acting().size > 0,
    onChange: (cb) => shards.onChange((acting) => cb(acting.size > 0)),
  };
}

/** A shard handed over waits for the running pass; status, /readyz and metrics say what this replica acts for. */
function wireShards(shards: ShardManager, service: { state: ServeState; serial: { run<T>(what: string, fn: () => Promise<T>): Promise<T> }; trigger(): void }, metrics: Metrics): () => void {
  shards.setDrain(() => service.serial.run("handing over a shard", async () => undefined));
  service.state.shards = () => shards.view();
  const publish = () => metrics.setShards(shards.shards, [...shards.acting()], service.state.snapshot?.status.clusters ?? []);
  publish();
  const offState = onStateChange(service.state, publish);
  const offShards = shards.onChange(() => {
    publish();
    notifyStateChange(service.state);
    // a newly held shard is acted for at once, not at the next interval
    service.trigger();
  });
  return () => {
    offState();
    offShards();
  };
}

/** The secret from --webhook-secret-file, else $BERTH_WEBHOOK_SECRET; trailing newlines dropped. */
export function webhookSecretFrom(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  let raw: string | undefined;
  if (file) {
    try {
      raw = readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(`--webhook-secret-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a readable file holding the shared secret`);
    }
    if (raw.trim() === "") throw new UsageError(`--webhook-secret-file ${file}: the file is empty; put the shared secret in it`);
  } else {
    raw = env.BERTH_WEBHOOK_SECRET;
  }
  const secret = raw?.replace(/[\r\n]+$/, "");
  return secret ? secret : undefined;
}

function rereadSecret(file: string, log: Logger): string | undefined {
  try {
    return webhookSecretFrom(file, {});
  } catch (err) {
    log.error({ err: (err as Error).message }, "cannot read the webhook secret; answering 401");
    return undefined;
  }
}

type ServeFlags = SourceFlags & LeaderFlags & NotifyFlags & { port: string; host?: string; authFile?: string; probePort?: string; probeHost: string; interval: string; webhookSecretFile?: string; driftInterval: string };

function portNumber(flag: string, v: string): number {
  const port = Number(v);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be a port number (0-65535), got "${v}"`);
  return port;
}

export const registerServe: RegisterCommand = (program, ctx) => {
  addNotifyFlags(addLeaderFlags(addSourceFlags(program.command("serve"))))
    .description("reconcile continuously and serve /healthz, /readyz, /metrics, /api/v1, /hooks/git and a status page at /")
    .option("--port <PORT>", "HTTP port of the API, the page and everything else", "8080")
    .option("--host <ADDR>", "address of that port (default: 0.0.0.0 with --auth-file; 127.0.0.1 without, where only a loopback address is allowed)")
    .option("--auth-file <FILE>", "YAML of the API's tokens: tokens: [{ name, sha256, role: viewer|operator|admin, applications }]; with it every route but /healthz, /readyz, /metrics and /hooks/git needs Authorization: Bearer <token>; without it the API and page stay on loopback and nobody acts")
    .option("--probe-port <PORT>", "a second listener serving only /healthz, /readyz, /metrics and /hooks/git (no token), for kubelet, Prometheus and the forge when the API stays on loopback")
    .option("--probe-host <ADDR>", "address of --probe-port", "0.0.0.0")
    .option("--interval <SECONDS>", "poll interval of the source", "30")
    .option("--webhook-secret-file <FILE>", "file holding the push webhook's shared secret (else $BERTH_WEBHOOK_SECRET)")
    .option("--drift-interval <SECONDS>", "how often the leader looks for drift (0: never)", "300")
    .action(async (f: ServeFlags) => {
      const port = portNumber("--port", f.port);
      const probe = f.probePort !== undefined ? { port: portNumber("--probe-port", f.probePort), host: f.probeHost } : undefined;
      // A bad auth file or a host off loopback without one is refused before anything starts.
      const tokens = f.authFile ? watchAuthFile(f.authFile, { log: ctx.log }) : undefined;
      const host = apiHost(f.host, tokens !== undefined);
      // Read once now so a wrong path fails at start; a file is read again per request (rotation).
      const first = webhookSecretFrom(f.webhookSecretFile, process.env);
      const file = f.webhookSecretFile;
      const webhookSecret = file ? () => rereadSecret(file, ctx.log) : first;
      if (!process.env.BERTH_LOG_LEVEL) ctx.log.level = "info";
      if (!first) ctx.log.warn("no webhook secret (--webhook-secret-file or BERTH_WEBHOOK_SECRET): /hooks/git answers 401 to every call");
      const driftIntervalMs = nonNegativeInt("--drift-interval", f.driftInterval) * 1000;
      const source = await openFromFlags(f, ctx.cwd);
      const leader = leaderFromFlags(f, ctx.log);
      const shards = shardsFromFlags(f, ctx.log);
      try {
        const handle = await startServe({
          source,
          cacheDir: f.cacheDir!,
          helmBinary: f.helm ?? "helm",
          ...helmWorkerFlag(f),
          log: ctx.log,
          kubeconfig: kubeconfigPolicy(f, source, ctx.cwd),
          repositoryCredentialDirs: repositoryCredentialDirs(f, ctx.cwd),
          ...repositoryUrls(f),
          renderer: rendererFromFlags(f),
          notify: notifyFromFlags(f, ctx.cwd),
          port,
          host,
          ...(tokens ? { tokens } : {}),
          ...(probe ? { probe } : {}),
          intervalMs: positiveInt("--interval", f.interval, 30) * 1000,
          concurrency: positiveInt("--concurrency", f.concurrency, 4),
          helmTimeoutMs: positiveInt("--helm-timeout", f.helmTimeout, 300) * 1000,
          ...(webhookSecret ? { webhookSecret } : {}),
          ...(leader ? { leader } : {}),
          ...(shards ? { shards } : {}),
          driftIntervalMs,
          // The running pass is told to stop too, so SIGTERM ends serve within --shutdown-grace.
          signal: stopSignal(positiveInt("--shutdown-grace", f.shutdownGrace, 30) * 1000, ctx.log),
        });
        const also = handle.probeUrl ? `; /healthz, /readyz, /metrics and /hooks/git also on ${handle.probeUrl}` : "";
        ctx.stdout.write(`berth serving on ${handle.url}${tokens ? " (tokens from --auth-file)" : " (no --auth-file: the API and page on loopback only, and nobody may act through them)"}${also}\n`);
        await new Promise<void>((resolve) => {
          const onSignal = (sig: string) => {
            ctx.log.info({ signal: sig }, "stopping: finishing the running pass");
            process.off("SIGINT", onSignal);
            process.off("SIGTERM", onSignal);
            resolve();
          };
          process.on("SIGINT", onSignal);
          process.on("SIGTERM", onSignal);
        });
        await handle.close();
      } finally {
        // Released at once, so another replica takes over without waiting for the lease to expire.
        await shards?.stop();
        await leader?.stop();
        await source.close();
      }
    });
};

function nonNegativeInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a whole number of seconds (0 or more), got "${v}"`);
  return n;
}
