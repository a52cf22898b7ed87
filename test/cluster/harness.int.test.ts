// The harness itself: a disposable cluster whose API server goes away and
// comes back with its data, and that leaves no process or file behind.
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { waitUntil } from "./bootstrap.ts";
import { etcdArgs, etcdHealthy, expectOwnEtcd, startCluster } from "./harness.ts";
import { freePorts } from "./ports.ts";
import { isAlive, spawnGroup, stopGroups } from "./processes.ts";
import { readState } from "./state.ts";

const binaries = inject("binaries");

describe("startCluster", () => {
  it("stops and restarts only the API server, then stops cleanly", async () => {
    const cluster = await startCluster({ name: "solo", binaries });
    const pids = Object.values((await readState(cluster.dataDir))?.pids ?? {});
    try {
      expect(pids).toHaveLength(5);
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.kubeconfigPath);
      const core = kc.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: "kept" } } });

      await cluster.stopApiServer();
      await expect(core.listNamespace()).rejects.toThrow(/ECONNREFUSED/);

      await cluster.startApiServer();
      const namespaces = await core.listNamespace();
      expect(namespaces.items.map((n) => n.metadata?.name)).toContain("kept");
    } finally {
      await cluster.stop();
    }
    expect(pids.filter(isAlive)).toEqual([]);
    await expect(access(cluster.dataDir)).rejects.toThrow(/ENOENT/);
  });
});

describe("expectOwnEtcd", () => {
  // A port lost to another cluster's etcd must not pass for ours: an API
  // server on it would show that cluster's objects (a node "already exists").
  it("accepts the etcd named as ours and refuses another, so the start is tried again", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-etcd-"));
    const [client, peer] = (await freePorts(2)) as [number, number];
    const pid = spawnGroup({ command: binaries.etcd, args: etcdArgs("theirs-1a2b", join(dir, "etcd"), client, peer), logFile: join(dir, "etcd.log") });
    try {
      const url = `http://127.0.0.1:${client}`;
      await waitUntil("etcd health", () => etcdHealthy(`${url}/health`), 30_000, 100);
      await expect(expectOwnEtcd(url, "theirs-1a2b")).resolves.toBeUndefined();
      await expect(expectOwnEtcd(url, "ours-9f8e")).rejects.toThrow(/answered for another etcd.*"theirs-1a2b".*"ours-9f8e"/);
    } finally {
      await stopGroups([pid]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
