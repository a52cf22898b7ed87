// The harness itself: a disposable cluster whose API server goes away and
// comes back with its data, and that leaves no process or file behind.
import { access } from "node:fs/promises";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { startCluster } from "./harness.ts";
import { isAlive } from "./processes.ts";
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
