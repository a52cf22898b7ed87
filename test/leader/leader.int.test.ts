// Leader election against a real kube-apiserver: the Lease's optimistic
// concurrency decides races, one replica leads, and a successor takes over
// when the leader stops (released lease) or dies (expired lease).
import { afterEach, describe, expect, inject, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { createLeaseClient, type LeaseClient } from "../../src/adapters/lease.ts";
import { startLeaderElection, type LeaderElection } from "../../src/reconcile/leader.ts";

const [east] = inject("clusters");
const log = pino({ level: process.env.BERTH_TEST_LOG ?? "silent" });
const timing = { leaseDurationMs: 6_000, renewDeadlineMs: 4_000, renewMs: 1_000, retryMs: 500 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(east!.kubeconfig);
  return kc;
}

/** A real Lease client that can be cut off, as a crashed or partitioned replica is. */
function cuttable(name: string): { client: LeaseClient; cut(): void } {
  const real = createLeaseClient({ kubeConfig: kubeConfig(), cluster: east!.name, namespace: "default", name });
  let dead = false;
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    if (dead) throw new Error("replica is gone");
    return f();
  };
  return {
    client: { namespace: real.namespace, name: real.name, get: () => guard(real.get), create: (r) => guard(() => real.create(r)), update: (r) => guard(() => real.update(r)) },
    cut: () => (dead = true),
  };
}

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await sleep(25);
  }
  return Date.now() - t0;
}

const started: LeaderElection[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
});

function elect(lease: string, identity: string, client?: LeaseClient): LeaderElection {
  const e = startLeaderElection({ ...timing, kubeConfig: kubeConfig(), cluster: east!.name, namespace: "default", name: lease, identity, log, ...(client ? { client } : {}) });
  started.push(e);
  return e;
}

describe("leader election on a Lease", () => {
  it("two replicas started together: exactly one leads, and the Lease names it", async () => {
    const lease = `berth-test-${Date.now()}`;
    const a = elect(lease, "replica-a");
    const b = elect(lease, "replica-b");
    await until(() => a.isLeader() || b.isLeader(), 10_000);
    // across several renew periods, never both and never neither
    for (let i = 0; i < 40; i++) {
      expect(Number(a.isLeader()) + Number(b.isLeader())).toBe(1);
      await sleep(100);
    }
    const read = await createLeaseClient({ kubeConfig: kubeConfig(), cluster: east!.name, namespace: "default", name: lease }).get();
    expect(read).toMatchObject({ holder: a.isLeader() ? "replica-a" : "replica-b", durationMs: timing.leaseDurationMs });
    expect(Date.now() - read!.renewTime!).toBeLessThan(timing.renewMs * 3);
  });

  it("the leader stops: it releases the Lease and the other takes over within a retry period", async () => {
    const lease = `berth-test-stop-${Date.now()}`;
    const a = elect(lease, "replica-a");
    await until(() => a.isLeader(), 10_000);
    const b = elect(lease, "replica-b");
    await sleep(1_500);
    expect(b.isLeader()).toBe(false);
    const t0 = Date.now();
    await a.stop();
    const took = await until(() => b.isLeader(), timing.leaseDurationMs);
    process.stderr.write(`berth leader: handover after stop in ${Date.now() - t0} ms (lease ${timing.leaseDurationMs} ms)\n`);
    expect(took).toBeLessThan(timing.retryMs + 1_500);
  });

  it("the leader dies without releasing: it stops acting before the Lease expires; the other takes over after expiry, within the lease duration", async () => {
    const lease = `berth-test-crash-${Date.now()}`;
    const doomed = cuttable(lease);
    const a = elect(lease, "replica-a", doomed.client);
    await until(() => a.isLeader(), 10_000);
    const b = elect(lease, "replica-b");
    await sleep(1_500);
    let aStoppedAt = 0;
    a.onChange((v) => {
      if (!v) aStoppedAt = Date.now();
    });
    const crashAt = Date.now();
    doomed.cut();
    await until(() => b.isLeader(), timing.leaseDurationMs + timing.retryMs + 2_000);
    const tookOver = Date.now() - crashAt;
    process.stderr.write(`berth leader: takeover after crash in ${tookOver} ms (lease ${timing.leaseDurationMs} ms); old leader stepped down after ${aStoppedAt - crashAt} ms\n`);
    expect(aStoppedAt).toBeGreaterThan(0);
    expect(aStoppedAt - crashAt).toBeLessThanOrEqual(timing.renewDeadlineMs + 200);
    // never two leaders: the old one had stopped acting before the new one started
    expect(aStoppedAt).toBeLessThan(crashAt + tookOver);
    // counted from the read before the one that saw its last renewal: within the lease duration of the crash, plus a read and a write
    expect(tookOver).toBeLessThanOrEqual(timing.leaseDurationMs + 300);
    const read = await createLeaseClient({ kubeConfig: kubeConfig(), cluster: east!.name, namespace: "default", name: lease }).get();
    expect(read).toMatchObject({ holder: "replica-b", transitions: 1 });
  });
});
