// The Cluster's helm.maxHistory reaches every helm upgrade and rollback berth
// makes, 0 (Helm's "unlimited") included; absent, helm.ts applies Helm's 10.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadRepo } from "../model/load.ts";
import type { Action } from "../plan/action.ts";
import { emptyMemo, type ObservedRelease } from "../plan/observed.ts";
import type { PlannedRelease } from "../plan/plan.ts";
import { spec } from "../plan/test-specs.ts";
import type { ClusterTarget } from "./cluster.ts";
import { manualRollback } from "./manual.ts";
import { readBook } from "./memo.ts";
import { remediate } from "./remediate.ts";
import { rollbackRelease } from "./rollback.ts";
import { createTargetCache } from "./targets.ts";
import { actionContext, fakeKube, recordingHelm, type HelmCall } from "./test-fakes.ts";
import { applyRelease } from "./upgrade.ts";

const observed: ObservedRelease = {
  name: "shop-api",
  namespace: "shop",
  managed: true,
  prune: false,
  revisions: [
    { revision: 1, status: "superseded", version: "1.0.0", digest: "d1" },
    { revision: 2, status: "deployed", version: "1.1.0", digest: "d2" },
  ],
};
const item = (action: Action): PlannedRelease => ({
  name: "shop-api",
  namespace: "shop",
  application: "shop",
  desired: spec("shop-api", { component: { name: "api", version: "1.2.0" } }),
  digest: "d3",
  observed,
  state: { name: "OutOfSync", reason: "git differs", deployed: observed.revisions[1]! },
  action,
  needs: [],
});
const input = (action: Action) => ({ item: item(action), memo: emptyMemo(), prune: false, persist: async () => {} });
const upgrade: Extract<Action, { kind: "upgrade" }> = { kind: "upgrade", from: "1.1.0", to: "1.2.0", steps: [] };

// Each way berth calls helm upgrade or rollback, with the calls it should make.
const paths: Array<[string, (maxHistory: number | undefined) => Promise<HelmCall[]>, Array<HelmCall["verb"]>]> = [
  [
    "upgrade",
    async (m) => {
      const h = recordingHelm();
      await applyRelease(actionContext(fakeKube(observed).kube, h.helm, m === undefined ? {} : { maxHistory: m }), input(upgrade), upgrade);
      return h.calls;
    },
    ["upgrade"],
  ],
  [
    "the rollback after a failed upgrade",
    async (m) => {
      const h = recordingHelm({ upgrade: true });
      await applyRelease(actionContext(fakeKube(observed).kube, h.helm, m === undefined ? {} : { maxHistory: m }), input(upgrade), upgrade);
      return h.calls;
    },
    ["upgrade", "rollback"],
  ],
  [
    "a move down",
    async (m) => {
      const h = recordingHelm();
      const a: Extract<Action, { kind: "rollback" }> = { kind: "rollback", from: "1.1.0", to: "1.0.0", toRevision: 1, steps: [] };
      await rollbackRelease(actionContext(fakeKube(observed).kube, h.helm, m === undefined ? {} : { maxHistory: m }), input(a), a);
      return h.calls;
    },
    ["rollback"],
  ],
  [
    "remediation",
    async (m) => {
      const h = recordingHelm();
      const a: Extract<Action, { kind: "remediate" }> = { kind: "remediate", toRevision: 1 };
      await remediate(actionContext(fakeKube(observed).kube, h.helm, m === undefined ? {} : { maxHistory: m }), input(a), a);
      return h.calls;
    },
    ["rollback"],
  ],
  [
    "berth rollback",
    async (m) => {
      const h = recordingHelm();
      const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube: fakeKube(observed).kube, helm: h.helm, ...(m === undefined ? {} : { maxHistory: m }) };
      await manualRollback(target, undefined, { namespace: "shop", name: "shop-api", book: readBook(undefined) }, 1, "c1", 1_000, { log: pino({ level: "silent" }) });
      return h.calls;
    },
    ["rollback"],
  ],
];

describe("maxHistory", () => {
  describe.each(paths)("%s", (_n, run, verbs) => {
    it.each([0, 3])("passes maxHistory %i to every helm call", async (m) => {
      const calls = await run(m);
      expect(calls.map((c) => c.verb)).toEqual(verbs);
      for (const c of calls) expect(c.o).toMatchObject({ maxHistory: m });
    });
    it("leaves it to helm.ts's default when the Cluster sets none", async () => {
      for (const c of await run(undefined)) expect(c.o).not.toHaveProperty("maxHistory");
    });
  });

  it("a Cluster's maxHistory: 0 reaches its target as 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "berth-maxhistory-"));
    mkdirSync(join(dir, "clusters"));
    writeFileSync(
      join(dir, "clusters", "east.yaml"),
      "apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: east }\nspec:\n  kubeconfig: { inCluster: true }\n  helm: { maxHistory: 0 }\n",
    );
    const clusters = (await loadRepo(dir)).clusters;
    const [t] = createTargetCache({ helmBinary: "/nonexistent/helm", log: pino({ level: "silent" }) }).targets(clusters);
    expect(t!.maxHistory).toBe(0);
  });
});
