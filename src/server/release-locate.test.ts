import { describe, expect, it } from "vitest";
import { runReport, SHA1, status } from "../../test/unit/helpers/serve-fixtures.ts";
import type { KubeClient } from "../adapters/kube.ts";
import { BerthError, KubeError } from "../errors.ts";
import type { Cluster } from "../model/types.ts";
import { spec } from "../plan/test-specs.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";
import type { DesiredRevision } from "../reconcile/revision.ts";
import { fakeKube, recordingHelm } from "../reconcile/test-fakes.ts";
import { createLocate, httpError } from "./release-locate.ts";
import { HttpError } from "./router.ts";
import { createServeState, type ServeState } from "./state.ts";

const cluster = (name: string) => ({ metadata: { name } }) as Cluster;
const desired = (placed: ReturnType<typeof spec>[]): DesiredRevision => ({ commit: SHA1, repo: { clusters: [cluster("east")] } as DesiredRevision["repo"], byCluster: new Map([["east", placed]]), charts: new Map() });

function setup(d: DesiredRevision | undefined, kube: KubeClient) {
  const state: ServeState = createServeState();
  if (d) state.snapshot = { status: status(), blocked: new Map(), report: { ...runReport(), desired: d }, at: new Date() };
  const target: ClusterTarget = { name: "east", paused: false, allowEmpty: false, kube, helm: recordingHelm().helm };
  const asked: string[][] = [];
  const locate = createLocate({ state: () => state, targets: (cs) => (asked.push(cs.map((c) => c.metadata.name)), cs.map(() => target)) });
  return { state, locate, asked };
}

const observed = { name: "shop-api", namespace: "shop", managed: true, prune: false, revisions: [{ revision: 1, status: "deployed" as const, version: "3.0.6" }] };

describe("createLocate", () => {
  it("finds the release on its cluster, with what git declares of it there and the revision read", async () => {
    const placed = spec("shop-api", { namespace: "shop", application: "shop" });
    const { locate, asked } = setup(desired([placed]), fakeKube(observed).kube);
    const l = await locate("east", "shop-api");
    expect(l).toMatchObject({ target: { name: "east" }, found: { name: "shop-api", namespace: "shop" }, desired: placed, commit: SHA1 });
    expect(asked).toEqual([["east"]]);
  });

  it("a run newer than the snapshot (the dry run lags under load): what git asks for now is that run's, not the snapshot's", async () => {
    const old = spec("shop-api", { namespace: "shop", application: "shop", component: { name: "api", version: "1.0.0" } });
    const now = spec("shop-api", { namespace: "shop", application: "shop", component: { name: "api", version: "1.1.0" } });
    const { state, locate } = setup(desired([old]), fakeKube(observed).kube);
    state.snapshot!.at = new Date(Date.now() - 5_000);
    state.lastRun = { ...runReport(), desired: { ...desired([now]), commit: "f".repeat(40) } };
    state.lastRunAt = new Date();
    const l = await locate("east", "shop-api");
    expect([l.desired?.component.version, l.commit]).toEqual(["1.1.0", "f".repeat(40)]);
  });

  it("git placing the name in another namespace: the release found is an orphan, without git's entry", async () => {
    const { locate } = setup(desired([spec("shop-api", { namespace: "elsewhere" })]), fakeKube(observed).kube);
    const l = await locate("east", "shop-api");
    expect(l.found.namespace).toBe("shop");
    expect(l.desired).toBeUndefined();
  });

  it("404 for a cluster the revision does not declare (or before the first snapshot) and a release berth does not own there", async () => {
    const { locate } = setup(desired([]), fakeKube(observed).kube);
    await expect(locate("north", "shop-api")).rejects.toMatchObject({ status: 404, message: "no cluster north; there are east" });
    await expect(locate("east", "nope")).rejects.toMatchObject({ status: 404, message: "no release nope managed by berth on cluster east; it has shop-api" });
    await expect(setup(undefined, fakeKube(observed).kube).locate("east", "shop-api")).rejects.toMatchObject({ status: 404, message: "no cluster east; there are none yet" });
  });

  it("keeps the last clusters it knew while the snapshot has no revision (the source down)", async () => {
    const { state, locate } = setup(desired([]), fakeKube(observed).kube);
    await locate("east", "shop-api");
    state.snapshot = { ...state.snapshot!, report: runReport({ sourceError: "unreachable" }) };
    expect((await locate("east", "shop-api")).found.name).toBe("shop-api");
  });

  it("a cluster that cannot be listed: 502 in its words", async () => {
    const kube = { ...fakeKube(observed).kube, listReleases: () => Promise.reject(new KubeError("east", "list releases: connect ECONNREFUSED")) } as KubeClient;
    await expect(setup(desired([]), kube).locate("east", "shop-api")).rejects.toMatchObject({ status: 502, message: "cluster east: list releases: connect ECONNREFUSED" });
  });
});

describe("httpError", () => {
  it.each([
    [new BerthError("INVALID_INPUT", "no revision 9"), 400],
    [new BerthError("ACTION_FAILED", "paused"), 409],
    [new KubeError("east", "forbidden"), 502],
    [new BerthError("HELM_FAILED", "helm failed"), 502],
    [new BerthError("HELM_TIMEOUT", "helm timed out"), 502],
  ])("%s -> %d, same message", (err, code) => {
    const h = httpError(err) as HttpError;
    expect(h).toBeInstanceOf(HttpError);
    expect([h.status, h.message]).toEqual([code, err.message]);
  });

  it("anything else is left as it is (the router answers 500)", () => {
    const e = new Error("bug");
    expect(httpError(e)).toBe(e);
    const usage = new BerthError("USAGE", "x");
    expect(httpError(usage)).toBe(usage);
  });
});
