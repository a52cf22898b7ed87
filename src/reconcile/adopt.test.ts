import type * as k8s from "@kubernetes/client-node";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { HelmClient, UpgradeOptions } from "../adapters/helm.ts";
import { groupReleases, type AdoptedRelease, type KubeClient, type StoredRevision } from "../adapters/kube.ts";
import type { ReleaseSpec } from "../model/types.ts";
import { describeAction } from "../plan/action.ts";
import { planCluster } from "../plan/plan.ts";
import { pruneDecider } from "../plan/prune.ts";
import { spec } from "../plan/test-specs.ts";
import { adopt, adoptionLabels, versionRan } from "./adopt.ts";
import type { ActionContext } from "./context.ts";
import { readBook } from "./memo.ts";
import { reconcileRelease } from "./release.ts";

const CHART = { name: "metrics-server", version: "3.13.1", source: { path: "charts/metrics-server" } };
const desired = (over: Partial<ReleaseSpec> = {}) =>
  spec("infra-metrics", {
    namespace: "infra",
    chart: CHART,
    component: { name: "metrics-server", version: "3.13.1" },
    values: { args: ["--kubelet-insecure-tls"] },
    workloadKind: "Chart",
    upgrades: [{ from: ">=3.12.0 <3.13.0", to: "3.13.1", run: { image: "backup" } }],
    ...over,
  });

const CHART_DIR = mkdtempSync(join(tmpdir(), "berth-adopt-chart-"));

interface Rev {
  labels: Record<string, string>;
  stored: StoredRevision;
}

/** Helm's storage of one release as Secrets with labels; helm upgrade adds a revision, uninstall removes them all. */
function cluster(initial: Array<{ status: StoredRevision["status"]; chart: string; version: string }>) {
  const revs: Rev[] = initial.map((r, i) => ({
    labels: { owner: "helm", name: "infra-metrics", version: String(i + 1), status: r.status },
    stored: { revision: i + 1, status: r.status, chart: { name: r.chart, version: r.version }, manifest: `kind: Deployment # ${r.version}\n`, config: { password: "s3cret" } },
  }));
  const kept: AdoptedRelease[] = [];
  const helmCalls: Array<{ verb: string; o?: UpgradeOptions }> = [];
  const jobs: string[] = [];
  const memos = new Map<string, Record<string, string>>();
  const observe = () => groupReleases(revs.map((r) => ({ metadata: { namespace: "infra", labels: r.labels } }) as k8s.V1Secret))[0];
  const kube: Partial<KubeClient> = {
    cluster: "east",
    async getRelease() {
      return observe();
    },
    async readStoredRevisions() {
      return revs.map((r) => ({ ...r.stored, status: r.labels.status as StoredRevision["status"] }));
    },
    async labelReleaseStorage(_ns, _rel, labels) {
      for (const [revision, add] of labels) Object.assign(revs.find((r) => r.stored.revision === revision)!.labels, add);
    },
    async keepAdopted(_ns, release, old) {
      kept.push(old);
      return { secret: `berth-adopted-${release}`, truncated: false };
    },
    async writeMemo(ns, rel, data) {
      memos.set(`${ns}/${rel}`, data);
    },
    async runJob(j) {
      jobs.push(j.name);
      return { succeeded: true, logs: "", message: "Complete" };
    },
    async writeStepLogs() {},
  };
  const helm: HelmClient = {
    async upgradeInstall(o) {
      helmCalls.push({ verb: "upgrade", o });
      for (const r of revs) if (r.labels.status === "deployed") r.labels.status = "superseded";
      const revision = revs.length + 1;
      revs.push({
        labels: { owner: "helm", name: o.release, version: String(revision), status: "deployed", ...o.labels },
        stored: { revision, status: "deployed", chart: { name: CHART.name, version: CHART.version }, manifest: "", config: o.values },
      });
    },
    async uninstall() {
      helmCalls.push({ verb: "uninstall" });
      revs.length = 0;
    },
    async template() {
      helmCalls.push({ verb: "template" });
      return "kind: Deployment\n";
    },
    async rollback() {
      helmCalls.push({ verb: "rollback" });
    },
    get calls() {
      return helmCalls.length;
    },
  };
  const ctx: ActionContext = {
    cluster: "east",
    commit: "c1",
    kube: kube as KubeClient,
    helm,
    log: pino({ level: "silent" }),
    helmTimeoutMs: 1_000,
    stepTimeoutMs: 1_000,
    // a chart directory without crds/
    chartDir: async () => CHART_DIR,
  };
  return { ctx, revs, kept, helmCalls, jobs, memos, observe };
}

/** Plans the one release as a pass would, then runs it to the end. */
async function reconcile(c: ReturnType<typeof cluster>, d: ReleaseSpec) {
  const observed = c.observe();
  const plan = planCluster({
    cluster: "east",
    paused: false,
    desired: [d],
    observed: observed ? [observed] : [],
    memos: new Map(),
    prune: pruneDecider({ declared: new Map(), recorded: new Map() }),
    allowEmpty: false,
    now: Date.now(),
  });
  const item = plan.releases[0]!;
  return { planned: describeAction(item.action), result: await reconcileRelease(c.ctx, item, { book: readBook(undefined), prune: true }) };
}

describe("adopt", () => {
  it("adopt: true labels every revision as berth's, then upgrades along the semver path from the version the release ran", async () => {
    const c = cluster([
      { status: "superseded", chart: "metrics-server", version: "3.12.1" },
      { status: "deployed", chart: "metrics-server", version: "3.12.2" },
    ]);
    const { planned, result } = await reconcile(c, desired({ adopt: true }));
    expect(planned).toBe("adopt the release installed outside berth: label it as berth's, then upgrade to 3.13.1");
    expect(result.outcome).toBe("applied");
    expect(result.records.map((r) => [r.action, r.fromVersion, r.toVersion, r.result])).toEqual([
      ["adopt", "3.12.2", "3.13.1", "succeeded"],
      ["upgrade", "3.12.2", "3.13.1", "succeeded"],
    ]);
    expect(result.records[0]!.adopted).toEqual({ mode: "label", revision: 2, status: "deployed", chart: { name: "metrics-server", version: "3.12.2" }, labelled: [1, 2] });
    // the upgrade step on the path from 3.12.2 ran, and nothing was uninstalled
    expect(c.jobs).toHaveLength(1);
    expect(c.helmCalls.map((h) => h.verb)).toEqual(["upgrade"]);
    // each old revision carries berth's labels and the version it ran: a later rollback finds them
    expect(c.revs.slice(0, 2).map((r) => [r.labels["berth.dev/managed"], r.labels["berth.dev/version"], r.labels["berth.dev/application"], r.labels["berth.dev/prune"]])).toEqual([
      ["true", "3.12.1", "infra", "true"],
      ["true", "3.12.2", "infra", "true"],
    ]);
    expect(c.observe()!.managed).toBe(true);
    // the book holds both records
    expect(JSON.parse(c.memos.get("infra/infra-metrics")!["records.json"]!).map((r: { action: string }) => r.action)).toEqual(["adopt", "upgrade"]);
  });

  it("a release berth has adopted is not adopted again: the next pass is in sync", async () => {
    const c = cluster([{ status: "deployed", chart: "metrics-server", version: "3.12.2" }]);
    await reconcile(c, desired({ adopt: true }));
    const again = await reconcile(c, desired({ adopt: true }));
    expect(again.planned).toMatch(/^none: revision 2 matches git/);
    expect(again.result.records).toEqual([]);
  });

  it("adopt: replace keeps the old manifest and values, uninstalls the release, then installs fresh", async () => {
    const c = cluster([{ status: "deployed", chart: "metrics-server", version: "3.8.0" }]);
    const { planned, result } = await reconcile(c, desired({ adopt: "replace" }));
    expect(planned).toBe("adopt the release installed outside berth by replacing it: keep its manifest and values, uninstall it, install 3.13.1");
    expect(result.records.map((r) => [r.action, r.fromVersion, r.toVersion, r.result])).toEqual([
      ["adopt", "3.8.0", "3.13.1", "succeeded"],
      ["install", undefined, "3.13.1", "succeeded"],
    ]);
    expect(result.records[0]!.adopted).toEqual({
      mode: "replace",
      revision: 1,
      status: "deployed",
      chart: { name: "metrics-server", version: "3.8.0" },
      kept: "berth-adopted-infra-metrics",
      uninstalled: true,
    });
    // rendered first, so a chart that cannot install leaves the old release alone; then kept, uninstalled, installed
    expect(c.helmCalls.map((h) => h.verb)).toEqual(["template", "uninstall", "upgrade"]);
    expect(c.kept).toEqual([{ revision: 1, status: "deployed", chart: { name: "metrics-server", version: "3.8.0" }, manifest: "kind: Deployment # 3.8.0\n", values: { password: "s3cret" } }]);
    // the old values are in the kept Secret only: never in the book
    expect(JSON.stringify([...c.memos.values()])).not.toContain("s3cret");
    expect(c.jobs).toEqual([]);
  });

  it("adopt: replace leaves the old release in place when the chart to install does not render", async () => {
    const c = cluster([{ status: "deployed", chart: "metrics-server", version: "3.8.0" }]);
    c.ctx.helm.template = async () => {
      throw new Error("helm template failed: values don't meet the specifications of the schema");
    };
    const { result } = await reconcile(c, desired({ adopt: "replace" }));
    expect(result.outcome).toBe("failed");
    expect(result.records[0]!.error).toBe("the chart to install does not render, so the old release was left in place: helm template failed: values don't meet the specifications of the schema");
    expect(c.kept).toEqual([]);
    expect(c.revs).toHaveLength(1);
  });

  it("a release of another chart (or a generated chart) is adopted without a version: the upgrade runs no step", async () => {
    const c = cluster([{ status: "deployed", chart: "my-fork", version: "3.12.2" }]);
    const { result } = await reconcile(c, desired({ adopt: true }));
    expect(result.records.map((r) => [r.action, r.fromVersion, r.toVersion])).toEqual([
      ["adopt", undefined, "3.13.1"],
      ["upgrade", undefined, "3.13.1"],
    ]);
    expect(result.records[0]!.adopted!.chart).toEqual({ name: "my-fork", version: "3.12.2" });
    expect(c.jobs).toEqual([]);
  });

  it("a release gone before it is adopted fails the attempt, and the next pass installs", async () => {
    const c = cluster([]);
    const out = await adopt(c.ctx, { item: { name: "infra-metrics", namespace: "infra", desired: desired({ adopt: true }), digest: "d", state: { name: "Absent", reason: "" }, action: { kind: "none", reason: "" }, needs: [] }, memo: { failures: 0, steps: [] }, prune: false, persist: async () => {} }, { kind: "adopt", mode: "label", to: "3.13.1", reason: "" });
    expect(out.record.result).toBe("failed");
    expect(out.record.error).toBe("release infra-metrics in infra is no longer on the cluster; nothing to adopt");
    expect(out.memo.failures).toBe(1);
  });
});

describe("versionRan and adoptionLabels", () => {
  const rev = (name: string, version: string): StoredRevision => ({ revision: 1, status: "deployed", chart: { name, version }, manifest: "", config: {} });
  it.each<[string, ReleaseSpec, StoredRevision, string | undefined]>([
    ["the same third-party chart: its version", desired(), rev("metrics-server", "3.12.2"), "3.12.2"],
    ["another chart: unknown", desired(), rev("other", "3.12.2"), undefined],
    ["a generated chart: its version is the WorkloadDefinition's, not the component's", desired({ chart: { name: "webservice", version: "1.0.0" } }), rev("webservice", "1.0.0"), undefined],
  ])("%s", (_, d, r, want) => {
    expect(versionRan(r, d)).toBe(want);
  });

  it("labels carry ownership, application and prune; the version only when known, as a label value", () => {
    const labels = adoptionLabels([rev("metrics-server", "3.12.2+build.1"), { ...rev("other", "1.0.0"), revision: 2 }], desired(), false);
    expect(Object.fromEntries(labels)).toEqual({
      1: { "berth.dev/managed": "true", "berth.dev/application": "infra", "berth.dev/prune": "false", "berth.dev/version": "3.12.2_build.1" },
      2: { "berth.dev/managed": "true", "berth.dev/application": "infra", "berth.dev/prune": "false" },
    });
  });
});
