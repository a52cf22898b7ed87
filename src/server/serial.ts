// One thing at a time, in the order asked: the leader's reconcile pass and the
// actions asked for through the API (restart, rollback, resume, a sync's
// record) go through one queue, so an action never writes a release's record
// while the loop is writing it (berth's records are read, changed and written
// whole, without a resourceVersion check).

/** Why a job never ran: it was still waiting when its signal fired. */
export class NotStarted extends Error {}

export interface Serial {
  /**
   * Runs `fn` once everything queued before it has finished. `what` says what
   * holds the queue while it runs. A `signal` that fires while the job is
   * still waiting takes it out of the queue (rejected with NotStarted, its
   * reason as message); once started, the job runs to its end.
   */
  run<T>(what: string, fn: () => Promise<T>, o?: { signal?: AbortSignal }): Promise<T>;
  /** What runs now, and since when; undefined when the queue is idle. */
  running(): { what: string; since: Date } | undefined;
}

export function createSerial(): Serial {
  let tail: Promise<void> = Promise.resolve();
  let current: { what: string; since: Date } | undefined;

  function run<T>(what: string, fn: () => Promise<T>, o: { signal?: AbortSignal } = {}): Promise<T> {
    const before = tail;
    let release!: () => void;
    tail = new Promise<void>((r) => (release = r));
    return new Promise<T>((resolve, reject) => {
      let started = false;
      const onAbort = () => {
        if (started) return;
        const reason: unknown = o.signal?.reason;
        reject(new NotStarted(reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "cancelled before it started"));
      };
      if (o.signal?.aborted) onAbort();
      else o.signal?.addEventListener("abort", onAbort, { once: true });
      void before.then(async () => {
        o.signal?.removeEventListener("abort", onAbort);
        // Cancelled while waiting: skipped, and the next job goes on.
        if (o.signal?.aborted) return release();
        started = true;
        current = { what, since: new Date() };
        try {
          resolve(await fn());
        } catch (err) {
          reject(err as Error);
        } finally {
          current = undefined;
          release();
        }
      });
    });
  }
  return { run, running: () => current };
}
