import { describe, expect, it } from "vitest";
import type { SentLog } from "../adapters/kube/notification-log.ts";
import { NotifyError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { createDeliveryQueue, type Delivery, type DeliveryOutcome } from "./queue.ts";

const log = createLogger({ level: "silent" });
const fast = { baseMs: 1, maxMs: 5, attempts: 4 };

/** A SentLog shared like a ConfigMap on a cluster: survives the queue (a process). */
function memoryLog(): SentLog & { ids: Set<string> } {
  const ids = new Set<string>();
  return { ids, read: async () => new Set(ids), add: async (more) => void more.forEach((i) => ids.add(i)) };
}

function delivery(id: string, send: () => Promise<void>, over: Partial<Delivery> = {}): Delivery {
  return { id, cluster: "east", sink: "webhook", label: "webhook h", event: "failed", fields: {}, send, ...over };
}

function setup<L extends SentLog = ReturnType<typeof memoryLog>>(sent: L = memoryLog() as unknown as L, extra: { maxQueued?: number } = {}) {
  const outcomes: Array<[string, DeliveryOutcome]> = [];
  const q = createDeliveryQueue({ sentLog: () => sent, log, backoff: fast, onOutcome: (d, o) => outcomes.push([d.id, o]), ...extra });
  return { q, outcomes, sent };
}

describe("the delivery queue", () => {
  it("tries again after failures, then remembers the id on the cluster", async () => {
    const { q, outcomes, sent } = setup();
    let calls = 0;
    q.enqueue(delivery("a", async () => {
      if (++calls <= 2) throw new NotifyError("webhook h", "answered 503", { status: 503, retryable: true });
    }));
    await q.idle(5000);
    expect(calls).toBe(3);
    expect(outcomes).toEqual([["a", "sent"]]);
    expect(sent.ids).toEqual(new Set(["a"]));
  });

  it("never sends twice: not while queued, not once sent, not after a restart that shares the cluster's record", async () => {
    const shared = memoryLog();
    const first = setup(shared);
    let calls = 0;
    const d = () => delivery("a", async () => void calls++);
    expect(first.q.enqueue(d())).toBe(true);
    expect(first.q.enqueue(d())).toBe(false);
    await first.q.idle(5000);
    expect(first.q.enqueue(d())).toBe(false);
    const restarted = setup(shared);
    restarted.q.enqueue(d());
    await restarted.q.idle(5000);
    expect(calls).toBe(1);
    expect(restarted.outcomes).toEqual([["a", "already-sent"]]);
  });

  it("gives up after the attempts of its policy, and a refusal at once", async () => {
    const { q, outcomes } = setup();
    let calls = 0;
    q.enqueue(delivery("down", async () => {
      calls++;
      throw new NotifyError("webhook h", "could not connect (ECONNREFUSED)", { retryable: true });
    }));
    q.enqueue(delivery("bad", async () => {
      throw new NotifyError("webhook h", "answered 401", { status: 401, retryable: false });
    }));
    q.enqueue(delivery("refused", async () => {
      throw new NotifyError("webhook h", "not allowed", { retryable: false });
    }));
    await q.idle(5000);
    expect(calls).toBe(4);
    expect(Object.fromEntries(outcomes)).toEqual({ down: "failed", bad: "failed", refused: "refused" });
  });

  it("keeps one order key's deliveries in order, even when the first needs retries", async () => {
    const { q } = setup();
    const seen: string[] = [];
    let tries = 0;
    q.enqueue(delivery("pending", async () => {
      if (++tries < 3) throw new NotifyError("s", "answered 502", { status: 502, retryable: true });
      seen.push("pending");
    }, { order: "east|sha" }));
    q.enqueue(delivery("success", async () => void seen.push("success"), { order: "east|sha" }));
    await q.idle(5000);
    expect(seen).toEqual(["pending", "success"]);
  });

  it("is bounded: past maxQueued a delivery is dropped and counted", async () => {
    const { q, outcomes } = setup(memoryLog(), { maxQueued: 2 });
    const hang = () => new Promise<void>((r) => setTimeout(r, 50));
    expect(q.enqueue(delivery("1", hang))).toBe(true);
    expect(q.enqueue(delivery("2", hang))).toBe(true);
    expect(q.enqueue(delivery("3", hang))).toBe(false);
    await q.idle(5000);
    expect(outcomes).toContainEqual(["3", "dropped"]);
  });

  it("sends when the cluster's record cannot be read (at least once), remembering it in the process", async () => {
    const broken: SentLog = { read: async () => Promise.reject(new Error("cluster east: no answer")), add: async () => Promise.reject(new Error("no answer")) };
    const { q, outcomes } = setup(broken);
    let calls = 0;
    q.enqueue(delivery("a", async () => void calls++));
    await q.idle(5000);
    expect(q.enqueue(delivery("a", async () => void calls++))).toBe(false);
    expect(calls).toBe(1);
    expect(outcomes).toEqual([["a", "sent"]]);
  });

  it("enqueue returns at once whatever the sink does", () => {
    const { q } = setup();
    const t0 = Date.now();
    q.enqueue(delivery("slow", () => new Promise<void>((r) => setTimeout(r, 2000))));
    expect(Date.now() - t0).toBeLessThan(50);
    q.close();
  });
});
