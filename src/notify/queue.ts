// The delivery queue: at least once, never twice for one id. A delivery is
// tried until its receiver takes it (exponential backoff with jitter, each
// request bounded by send.ts), then its id is remembered on the cluster the
// event concerns (SentLog); an id already remembered there, or already queued,
// is not sent again. Bounded; nothing here is awaited by the reconcile loop.
import type { SentLog } from "../adapters/kube/notification-log.ts";
import { NotifyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { backoffMs, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.ts";

export type DeliveryOutcome = "sent" | "failed" | "refused" | "dropped" | "already-sent";

export interface Delivery {
  /** event-id.ts: what is remembered as sent. */
  id: string;
  /** The cluster the event concerns: where the id is remembered. */
  cluster: string;
  /** Deliveries of one order key go one after another in the order queued (one commit status context). */
  order?: string;
  sink: "webhook" | "slack" | "commitStatus";
  /** The sink by kind and host (trust.ts sinkLabel), the only way logs name it. */
  label: string;
  event: string;
  /** Log fields: notification, application, release. Never a URL, token or key. */
  fields: Record<string, string | number | undefined>;
  /** One try; a NotifyError says whether another may help. */
  send(): Promise<void>;
}

export interface QueueOptions {
  /** What was sent, on a cluster; throws when the cluster cannot be reached (then only this process's memory decides). */
  sentLog(cluster: string): SentLog;
  log: Logger;
  backoff?: BackoffPolicy;
  /** Deliveries waiting or running at most; more are dropped (and counted). */
  maxQueued?: number;
  /** Requests at once. */
  concurrency?: number;
  onOutcome?: (d: Delivery, outcome: DeliveryOutcome) => void;
  random?: () => number;
}

export interface DeliveryQueue {
  /** Queues a delivery; false when it was not (already queued or sent by this process, or the queue is full). */
  enqueue(d: Delivery): boolean;
  /** Resolves when nothing is queued or running (or after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops: waits in backoff end, nothing new is tried. */
  close(): void;
  readonly size: number;
}

export function createDeliveryQueue(o: QueueOptions): DeliveryQueue {
  const policy = o.backoff ?? DEFAULT_BACKOFF;
  const maxQueued = o.maxQueued ?? 1000;
  const concurrency = o.concurrency ?? 4;
  const closing = new AbortController();
  const queued = new Set<string>();
  /** Ids this process sent or found sent (bounded like the log on the clusters). */
  const known = new Set<string>();
  const chains = new Map<string, Promise<void>>();
  let running = 0;
  const slots: Array<() => void> = [];
  let idlers: Array<() => void> = [];

  const remember = (id: string) => {
    known.add(id);
    if (known.size > 10_000) known.delete(known.values().next().value!);
  };
  const acquire = () => (running < concurrency ? (running++, Promise.resolve()) : new Promise<void>((r) => slots.push(r)));
  const release = () => {
    const next = slots.shift();
    if (next) next();
    else running--;
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      closing.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });

  async function deliver(d: Delivery): Promise<DeliveryOutcome> {
    const log = o.log.child({ sink: d.label, event: d.event, cluster: d.cluster, eventId: d.id, ...d.fields });
    let sentLog: SentLog | undefined;
    try {
      sentLog = o.sentLog(d.cluster);
      if ((await sentLog.read()).has(d.id)) return "already-sent";
    } catch (err) {
      // the cluster cannot say: send (at least once), remembered here
      log.warn({ err: (err as Error).message }, "cannot read what was sent on the cluster; sending, remembered by this process only");
    }
    for (let attempt = 1; ; attempt++) {
      if (closing.signal.aborted) return "dropped";
      await acquire();
      let error: unknown;
      try {
        await d.send();
      } catch (err) {
        error = err;
      } finally {
        release();
      }
      if (error === undefined) {
        log.info({ attempt }, "notification sent");
        try {
          await sentLog?.add([d.id]);
        } catch (err) {
          log.warn({ err: (err as Error).message }, "sent, but could not remember it on the cluster; a restart may send it again");
        }
        return "sent";
      }
      const retryable = error instanceof NotifyError ? error.retryable : false;
      // a NotifyError's message names the sink by kind and host only; anything else is not shown
      const message = error instanceof NotifyError ? error.message : `${(error as Error).name ?? "error"} (details withheld)`;
      if (!retryable) {
        log.warn({ err: message, attempt }, "notification refused; not tried again");
        return error instanceof NotifyError && error.status === undefined ? "refused" : "failed";
      }
      if (attempt >= policy.attempts) {
        log.warn({ err: message, attempts: attempt }, "notification failed; giving up");
        return "failed";
      }
      const wait = backoffMs(attempt, policy, o.random);
      log.info({ err: message, attempt, retryInMs: wait }, "notification failed; trying again");
      await sleep(wait);
    }
  }

  function settle(): void {
    if (queued.size === 0) {
      const waiting = idlers;
      idlers = [];
      for (const w of waiting) w();
    }
  }

  return {
    enqueue(d) {
      if (closing.signal.aborted || queued.has(d.id) || known.has(d.id)) return false;
      if (queued.size >= maxQueued) {
        o.log.warn({ sink: d.label, event: d.event, cluster: d.cluster, queued: queued.size }, "notification queue full; dropped");
        o.onOutcome?.(d, "dropped");
        return false;
      }
      queued.add(d.id);
      const prev = (d.order && chains.get(d.order)) || Promise.resolve();
      const done = prev
        .then(() => deliver(d))
        .catch((err: unknown) => {
          o.log.error({ sink: d.label, event: d.event, err: (err as Error).name }, "notification delivery crashed");
          return "failed" as const;
        })
        .then((outcome) => {
          // a refusal (the operator's rules) is not tried again by this process either: the next pass would only repeat it
          if (outcome === "sent" || outcome === "already-sent" || outcome === "refused") remember(d.id);
          o.onOutcome?.(d, outcome);
        })
        .finally(() => {
          queued.delete(d.id);
          if (d.order && chains.get(d.order) === done) chains.delete(d.order);
          settle();
        });
      if (d.order) chains.set(d.order, done);
      return true;
    },
    idle(timeoutMs) {
      if (queued.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idlers.push(resolve);
        if (timeoutMs !== undefined) setTimeout(resolve, timeoutMs).unref();
      });
    },
    close() {
      closing.abort();
    },
    get size() {
      return queued.size;
    },
  };
}
