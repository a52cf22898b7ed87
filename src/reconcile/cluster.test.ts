import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { HelmClient } from "../adapters/helm.ts";
import type { KubeClient } from "../adapters/kube.ts";
import type { ObservedRelease } from "../plan/observed.ts";
import type { AppDeclaration, AppRecord } from "../plan/prune.ts";
import { releaseDigest } from "../plan/digest.ts";
import { spec } from "../plan/test-specs.ts";
import { reconcileCluster, type ClusterTarget } from "./cluster.ts";
import type { ProgressEvent, ProgressSink } from "./progress.ts";

const log = pino({ level: "silent" });
const desired = spec("pr-a", { namespace: "rt" });
const other = spec("other-web", { namespace: "other" });

// One release of application pr, in sync with git, applied with this prune label; maybe a second, orphaned one.
function fakeCluster(label: boolean, records: AppRecord[] = [], orphan = false) {
  const inSync = (s: typeof desired, application: string, prune: boolean): ObservedRelease => ({
    name: s.name,
    namespace: s.namespace,
    managed: true,
    application,
    prune,
    revisions: [{ revision: 1, status: "deployed", version: "1.0.0", digest: releaseDigest(s) }],
  });
  const written: AppRecord[] = [];
  const uninstalled: string[] = [];
  const rel = (name: string, digest: string): ObservedRelease => ({
    name,
    namespace: "rt",
    managed: true,
    application: "pr",
    prune: label,
    revisions: [{ revision: 1, status: "deployed", version: "1.0.0", digest }],
  });
  // another application, in sync, keeps the cluster from being empty once pr leaves git
  const observed = [rel("pr-a", releaseDigest(desired)), ...(orphan ? [rel("pr-b", "old")] : []), inSync(other, "other", false)];
  const kube: Partial<KubeClient> = {
    cluster: "east",
    async ping() {},
    async listReleases() {
      return observed.filter((o) => !uninstalled.includes(o.name));
    },
    async listMemos() {
      return new Map();
    },
    async listAppRecords() {
      return [...records, ...written];
    },
    async writeAppRecord(r) {
      written.push(r);
    },
    async getRelease(_ns, name) {
      return uninstalled.includes(name) ? undefined : observed.find((o) => o.name === name);
    },
    async writeMemo() {},
  };
  let calls = 0;
  const helm: HelmClient = {
    async upgradeInstall() {
      calls++;
    },
    async rollback() {
      calls++;
    },
    async uninstall(o) {
      calls++;
      uninstalled.push(o.release);
    },
    async template() {
      calls++;
      return "";
    },
    get calls() {
      return calls;
    },
  };
  return { kube: kube as KubeClient, helm, written, uninstalled };
}

const target = (f: ReturnType<typeof fakeCluster>, paused = false): ClusterTarget => ({ name: "east", paused, allowEmpty: false, kube: f.kube, helm: f.helm });
const apps = (prune: boolean) =>
  new Map<string, AppDeclaration>([
    ["pr", { prune, namespace: "rt" }],
    ["other", { prune: false, namespace: "other" }],
  ]);
const run = (f: ReturnType<typeof fakeCluster>, prune: boolean, o: { paused?: boolean; dryRun?: boolean; applications?: Map<string, AppDeclaration>; progress?: ProgressSink } = {}) =>
  reconcileCluster(target(f, o.paused), {
    commit: "c2",
    desired: o.applications && !o.applications.has("pr") ? [other] : [desired, other],
    applications: o.applications ?? apps(prune),
    chartDir: async () => "/nowhere",
    log,
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.progress ? { progress: o.progress } : {}),
  });

describe("reconcileCluster: the application record", () => {
  it.each<[string, boolean, boolean, AppRecord[], { paused?: boolean; dryRun?: boolean }, Array<[string, boolean]>]>([
    ["a revision that only switches prune on records it, with no helm call", true, false, [], {}, [["rt", true]]],
    ["nothing to record when every release's label already says it", true, true, [], {}, []],
    ["nothing to record when the record already says it", false, true, [{ application: "pr", namespace: "rt", prune: false }], {}, []],
    ["a record that disagrees is rewritten", true, true, [{ application: "pr", namespace: "rt", prune: false }], {}, [["rt", true]]],
    ["a dry run writes nothing", true, false, [], { dryRun: true }, []],
    ["a paused cluster is never changed, records included", true, false, [], { paused: true }, []],
  ])("%s", async (_n, prune, label, records, o, want) => {
    const f = fakeCluster(label, records);
    const r = await run(f, prune, o);
    expect(r.reachable).toBe(true);
    expect(f.helm.calls).toBe(0);
    expect(f.written.map((w) => [w.namespace, w.prune])).toEqual(want);
    for (const w of f.written) expect(w).toMatchObject({ application: "pr", commit: "c2" });
  });

  it("the next pass, once the application left git, prunes by the record: one uninstall, no second one", async () => {
    const f = fakeCluster(false, [], true);
    await run(f, true); // the revision that only switched prune on (the orphan pr-b is pruned at once: git says prune)
    expect(f.uninstalled).toEqual(["pr-b"]);
    expect(f.written.map((w) => w.prune)).toEqual([true]);

    const g = fakeCluster(false, [{ application: "pr", namespace: "rt", prune: true }]);
    const r = await run(g, false, { applications: new Map([["other", { prune: false, namespace: "other" }]]) }); // pr is gone from git
    expect(g.uninstalled).toEqual(["pr-a"]);
    expect(r.releases.find((x) => x.name === "pr-a")).toMatchObject({ outcome: "applied" });
    expect(g.written).toEqual([]);
  });
});

describe("reconcileCluster: a replica that stops acting for the cluster mid-pass", () => {
  it("starts no action once mayAct says no: the release is blocked with why, and helm is not called", async () => {
    const f = fakeCluster(false, [], true);
    const r = await reconcileCluster(target(f), { commit: "c2", desired: [desired, other], applications: apps(true), chartDir: async () => "/nowhere", log, mayAct: () => false });
    expect(f.helm.calls).toBe(0);
    expect(f.uninstalled).toEqual([]);
    expect(r.releases.find((x) => x.name === "pr-b")).toMatchObject({ outcome: "blocked", reason: "this replica no longer acts for cluster east (its shard went to another replica); not started" });
  });

  it("acts while mayAct says yes", async () => {
    const f = fakeCluster(false, [], true);
    await reconcileCluster(target(f), { commit: "c2", desired: [desired, other], applications: apps(true), chartDir: async () => "/nowhere", log, mayAct: () => true });
    expect(f.uninstalled).toEqual(["pr-b"]);
  });
});

describe("reconcileCluster: progress", () => {
  it("says what it planned, then each release as it starts and ends", async () => {
    const seen: ProgressEvent[] = [];
    await run(fakeCluster(false, [], true), true, { progress: (e) => seen.push(e) });
    expect(seen[0]).toEqual({ kind: "cluster-planned", cluster: "east", total: 3, changing: 1 });
    const of = (release: string) => seen.filter((e) => "release" in e && e.release === release).map((e) => e.kind);
    expect(of("pr-b")).toEqual(["release-start", "release-done"]);
    expect(seen.find((e) => e.kind === "release-start")).toEqual({ kind: "release-start", cluster: "east", release: "pr-b", action: "uninstall" });
    expect(seen.find((e) => e.kind === "release-done" && e.release === "pr-b")).toMatchObject({ result: "applied", actions: ["uninstall"] });
    expect(of("pr-a")).toEqual(["release-done"]);
    expect(seen.find((e) => e.kind === "release-done" && e.release === "pr-a")).toMatchObject({ result: "unchanged", ms: 0 });
  });

  it("a dry run says only what it planned: what it would change", async () => {
    const seen: ProgressEvent[] = [];
    await run(fakeCluster(false, [], true), true, { dryRun: true, progress: (e) => seen.push(e) });
    expect(seen).toEqual([{ kind: "cluster-planned", cluster: "east", total: 3, changing: 1 }]);
  });
});

describe("reconcileCluster: namespaces", () => {
  it("ensures the namespaces of what changes side by side, up to the concurrency, before any release acts", async () => {
    const specs = Array.from({ length: 10 }, (_, i) => spec(`app${i}-web`, { namespace: `ns${i}` }));
    let running = 0;
    let most = 0;
    const ensured: string[] = [];
    const order: string[] = [];
    const kube: Partial<KubeClient> = {
      cluster: "east",
      async ping() {},
      async listReleases() {
        return [];
      },
      async listMemos() {
        return new Map();
      },
      async listAppRecords() {
        return [];
      },
      async ensureNamespace(ns) {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        ensured.push(ns);
        order.push(`namespace ${ns}`);
      },
      async getRelease() {
        return undefined;
      },
      async writeMemo() {},
    };
    const helm: HelmClient = {
      async upgradeInstall(o) {
        order.push(`install ${o.release}`);
      },
      async rollback() {},
      async uninstall() {},
      async template() {
        return "";
      },
      calls: 0,
    };
    await reconcileCluster({ name: "east", paused: false, allowEmpty: false, kube: kube as KubeClient, helm }, {
      commit: "c1",
      desired: specs,
      applications: new Map(specs.map((s) => [s.application!, { prune: false, namespace: s.namespace }])),
      chartDir: async () => "/nowhere",
      log,
      concurrency: 3,
    });
    expect([...ensured].sort()).toEqual(specs.map((s) => s.namespace).sort());
    expect(most).toBe(3);
    const firstInstall = order.findIndex((x) => x.startsWith("install"));
    expect(firstInstall).toBe(10);
  });
});
