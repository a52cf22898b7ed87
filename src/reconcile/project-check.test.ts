import { describe, expect, it } from "vitest";
import type { ReleaseProject, UpgradeStep } from "../model/types.ts";
import type { Action } from "../plan/action.ts";
import { emptyMemo } from "../plan/observed.ts";
import type { PlannedRelease } from "../plan/plan.ts";
import { spec } from "../plan/test-specs.ts";
import { actingContext } from "./context.ts";
import { reconcileRelease } from "./release.ts";
import { actionContext, fakeKube, recordingHelm } from "./test-fakes.ts";
import { applyRelease } from "./upgrade.ts";

const project: ReleaseProject = { name: "shop-team", namespaces: ["shop"], clusterScoped: [] };
const step: UpgradeStep = { from: ">=0.9.0 <1.0.0", to: "1.0.0", run: { image: "registry.example.com/migrate" } };

const crb = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: grant-all }\n";
const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: shop-api }\n";

function planned(p: ReleaseProject | undefined, action: Action): PlannedRelease {
  return {
    name: "shop-api",
    namespace: "shop",
    application: "shop",
    desired: spec("shop-api", { ...(p ? { project: p } : {}), upgrades: [step] }),
    digest: "d1d1d1d1d1",
    state: { name: "OutOfSync", reason: "git differs", deployed: { revision: 1, status: "deployed", version: "0.9.0" } },
    action,
    needs: [],
  };
}
const upgrade: Action = { kind: "upgrade", from: "0.9.0", to: "1.0.0", steps: [step] };

async function run(p: ReleaseProject | undefined, manifest: string) {
  const f = fakeKube();
  const h = recordingHelm({}, manifest);
  const r = await reconcileRelease(actionContext(f.kube, h.helm), planned(p, upgrade), { book: { memo: emptyMemo(), records: [] }, prune: false });
  return { r, f, h };
}

describe("a Project's release is checked on its rendered manifest before anything runs", () => {
  it.each<[string, ReleaseProject | undefined, string, string[], boolean]>([
    ["without a Project: no render, straight to the steps and the upgrade", undefined, crb, ["upgrade"], false],
    ["inside its Project: rendered, then steps and upgrade", project, deployment, ["template", "upgrade"], false],
    ["an object outside it: rendered only, no step, no upgrade", project, `${deployment}---\n${crb}`, ["template"], true],
  ])("%s", async (_name, p, manifest, verbs, refused) => {
    const f = fakeKube();
    const h = recordingHelm({}, manifest);
    const out = await applyRelease(actionContext(f.kube, h.helm), { item: planned(p, upgrade), memo: emptyMemo(), prune: false, persist: async () => {} }, upgrade);
    expect(h.calls.map((c) => c.verb)).toEqual(verbs);
    expect(out.blocked !== undefined).toBe(refused);
    expect(out.record.result).toBe(refused ? "failed" : "succeeded");
    expect(f.created.length).toBe(refused ? 0 : 1);
  });

  it("the refusal names the object and the Project, in the outcome and in the record kept on the cluster", async () => {
    const { r, f, h } = await run(project, crb);
    expect(r.outcome).toBe("blocked");
    expect(h.calls.map((c) => c.verb)).toEqual(["template"]);
    expect(r.reason).toMatch(/Project shop-team/);
    expect(r.reason).toMatch(/ClusterRoleBinding grant-all is cluster-scoped/);
    const book = JSON.parse(f.memos.get("shop/shop-api")!["records.json"]!) as Array<{ result: string; error: string }>;
    expect(book.at(-1)).toMatchObject({ result: "failed", error: r.reason });
    // the memo keeps the reason: while berth waits to retry, the release says why
    const memo = JSON.parse(f.memos.get("shop/shop-api")!["memo.json"]!) as { failures: number; lastError: string };
    expect(memo).toMatchObject({ failures: 1, lastError: r.reason });
    // rendered as an upgrade, with the release's values and namespace
    expect(h.calls[0]).toMatchObject({ verb: "template", o: { release: "shop-api", namespace: "shop", isUpgrade: true, values: { replicas: 1 } } });
  });

  it("a chart that cannot be rendered fails the attempt and applies nothing", async () => {
    const f = fakeKube();
    const h = recordingHelm({ template: true });
    const r = await reconcileRelease(actionContext(f.kube, h.helm), planned(project, upgrade), { book: { memo: emptyMemo(), records: [] }, prune: false });
    expect(r.outcome).toBe("failed");
    expect(r.reason).toMatch(/cannot render and check the chart against Project shop-team/);
    expect(h.calls.map((c) => c.verb)).toEqual(["template"]);
  });
});

describe("kinds of the cluster's own", () => {
  const issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: { name: letsencrypt }\n";
  it.each<[string, "Cluster" | "Namespaced" | undefined | Error, string[], boolean]>([
    ["a kind the cluster says is cluster-scoped is refused", "Cluster", ["template"], true],
    ["a namespaced one is checked by namespace (and passes here)", "Namespaced", ["template", "upgrade"], false],
    ["a kind the cluster does not serve is taken as namespaced (helm reports it)", undefined, ["template", "upgrade"], false],
  ])("%s", async (_name, scope, verbs, refused) => {
    const f = fakeKube();
    const asked: string[] = [];
    f.kube.kindScope = async (apiVersion, kind) => (asked.push(`${apiVersion} ${kind}`), scope as "Cluster" | "Namespaced" | undefined);
    const h = recordingHelm({}, `${deployment}---\n${issuer}`);
    const out = await applyRelease(actionContext(f.kube, h.helm), { item: planned(project, upgrade), memo: emptyMemo(), prune: false, persist: async () => {} }, upgrade);
    expect(asked).toEqual(["cert-manager.io/v1 ClusterIssuer"]);
    expect(h.calls.map((c) => c.verb)).toEqual(verbs);
    expect(out.blocked !== undefined).toBe(refused);
    if (refused) expect(out.blocked).toMatch(/ClusterIssuer letsencrypt is cluster-scoped/);
  });

  it("discovery that fails refuses the release: nothing unchecked is applied", async () => {
    const f = fakeKube();
    f.kube.kindScope = () => Promise.reject(new Error("cluster east: discover ClusterIssuer: no answer within 15000 ms"));
    const h = recordingHelm({}, issuer);
    const out = await applyRelease(actionContext(f.kube, h.helm), { item: planned(project, upgrade), memo: emptyMemo(), prune: false, persist: async () => {} }, upgrade);
    expect(h.calls.map((c) => c.verb)).toEqual(["template"]);
    expect(out.record).toMatchObject({ result: "failed", error: expect.stringMatching(/cannot render and check .*no answer within/) });
  });
});

describe("actingContext", () => {
  const who = { user: "system:serviceaccount:shop:berth-shop", groups: ["system:serviceaccounts:shop"] };
  const own = { kube: fakeKube(), helm: recordingHelm() };
  const acting = { kube: fakeKube(), helm: recordingHelm() };
  const ctx = actionContext(own.kube.kube, own.helm.helm);

  it("a Project that impersonates acts with that identity's helm and step Jobs; memos stay berth's", async () => {
    const asked: unknown[] = [];
    const got = actingContext(ctx, { ...project, impersonate: who }, (w) => (asked.push(w), { kube: acting.kube.kube, helm: acting.helm.helm }));
    if (!("ctx" in got)) throw new Error("blocked");
    expect(asked).toEqual([who]);
    expect(got.ctx.helm).toBe(acting.helm.helm);
    await got.ctx.kube.runJob({ namespace: "shop", name: "j", image: "i", labels: {}, move: "m", timeoutMs: 1 });
    expect(acting.kube.created).toEqual(["j"]);
    expect(own.kube.created).toEqual([]);
    await got.ctx.kube.writeMemo("shop", "shop-api", { "memo.json": "{}" });
    expect(own.kube.memos.has("shop/shop-api")).toBe(true);
    expect(acting.kube.memos.size).toBe(0);
  });

  it("without impersonation (or a Project) berth's own clients act", () => {
    expect(actingContext(ctx, project, undefined)).toEqual({ ctx });
    expect(actingContext(ctx, undefined, undefined)).toEqual({ ctx });
  });

  it("a cluster whose clients cannot impersonate blocks the release rather than act as berth", () => {
    const got = actingContext(ctx, { ...project, impersonate: who }, undefined);
    expect(got).toEqual({ blocked: expect.stringMatching(/Project shop-team acts as system:serviceaccount:shop:berth-shop/) });
  });
});
