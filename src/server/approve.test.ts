// POST /api/v1/applications/{application}/approve over the real router with
// --auth-file tokens, writing through a small fake of the clusters' rollout
// records (the same storeApproval the CLI's integration test runs on real
// clusters): who may approve, what is stored and where, what is refused.
import { afterEach, describe, expect, it } from "vitest";
import { AS, serveRoutes, silent, stateWithSnapshot, type Served } from "../../test/unit/helpers/release-api.ts";
import type { WaveApproval } from "../adapters/kube/rollout-records.ts";
import type { Application, Cluster } from "../model/types.ts";
import { spec } from "../plan/test-specs.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";
import type { DesiredRevision } from "../reconcile/revision.ts";
import { approveRoute } from "./approve.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const cluster = (name: string) => ({ metadata: { name, labels: { env: "prod" } } }) as unknown as Cluster;
const shop = {
  metadata: { name: "shop" },
  spec: { namespace: "shop", components: [], placement: { clusterSelector: { env: "prod" }, rollout: { waves: [{ clusters: ["east"] }, { clusters: ["west"], approval: "manual" }] } } },
} as unknown as Application;

function setup(o: { failOn?: string[]; waveState?: "waiting" | "done" } = {}) {
  const state = stateWithSnapshot();
  const desired = {
    commit: COMMIT,
    repo: { applications: [shop], clusters: [cluster("east"), cluster("west")] },
    byCluster: new Map(["east", "west"].map((c) => [c, [spec("shop-api", { cluster: c, application: "shop", namespace: "shop" })]])),
  } as unknown as DesiredRevision;
  const rollout = [{ application: "shop", revision: COMMIT, waves: [{ index: 1, clusters: ["east"], state: "done" as const }, { index: 2, clusters: ["west"], state: o.waveState ?? ("waiting" as const), waitingFor: "approval" as const }] }];
  state.snapshot!.report = { ...state.snapshot!.report, desired, rollout };
  const stored: Array<{ cluster: string; approval: WaveApproval }> = [];
  const target = (name: string) =>
    ({
      name,
      paused: false,
      allowEmpty: false,
      kube: {
        ensureNamespace: async () => {},
        writeApproval: async (r: { approval: WaveApproval }) => {
          if (o.failOn?.includes(name)) throw new Error(`cluster ${name}: configmaps is forbidden`);
          stored.push({ cluster: name, approval: r.approval });
        },
      },
    }) as unknown as ClusterTarget;
  const triggers: number[] = [];
  const route = approveRoute({ state, control: { trigger: () => void triggers.push(1) }, targets: (cs) => cs.map((c) => target(c.metadata.name)), log: silent });
  return { route, stored, triggers };
}

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});
const path = "/api/v1/applications/shop/approve";

describe("POST /api/v1/applications/{application}/approve", () => {
  it.each([
    ["no token", undefined, 401],
    ["a viewer", AS.viewer, 403],
    ["an operator of another application", AS.other, 403],
  ])("%s may not approve, and nothing is stored", async (_who, token, status) => {
    const t = setup();
    served = await serveRoutes([t.route]);
    const r = await served.call("POST", path, { ...(token ? { token } : {}), body: {} });
    expect(r.status).toBe(status);
    expect([t.stored, t.triggers]).toEqual([[], []]);
  });

  it("an operator of the application approves the waiting wave for the current revision, recorded with the token's name; a pass is asked for", async () => {
    const t = setup();
    served = await serveRoutes([t.route]);
    const r = await served.call("POST", path, { token: AS.operator, body: {} });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ application: "shop", wave: 2, revision: COMMIT, by: "shop-oncall", stored: ["west"], failed: [] });
    expect(t.stored).toEqual([{ cluster: "west", approval: expect.objectContaining({ wave: 2, revision: COMMIT, by: "shop-oncall" }) }]);
    expect(t.triggers).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ["a wave that does not ask for approval", { wave: 1 }, 409, "wave 1 of shop does not ask for approval; these do: 2"],
    ["a wave that does not exist", { wave: 7 }, 404, "Application shop has waves 1 to 2, not 7"],
    ["another revision than the one berth applies", { revision: "fedcba9876" }, 409, "--revision fedcba9876 is not the revision berth applies now (0123456789ab)"],
  ])("refuses %s", async (_what, body, status, message) => {
    const t = setup();
    served = await serveRoutes([t.route]);
    const r = await served.call("POST", path, { token: AS.admin, body });
    expect(r.status).toBe(status);
    expect(r.body.error).toContain(message);
    expect(t.stored).toEqual([]);
  });

  it("refuses when the wave is already done, and answers 502 when no cluster can store it", async () => {
    const done = setup({ waveState: "done" });
    served = await serveRoutes([done.route]);
    expect((await served.call("POST", path, { token: AS.admin, body: {} })).body.error).toContain("nothing to approve");
    await served.close();
    const broken = setup({ failOn: ["west"] });
    served = await serveRoutes([broken.route]);
    const r = await served.call("POST", path, { token: AS.admin, body: {} });
    expect(r.status).toBe(502);
    expect(r.body.error).toContain("west: cluster west: configmaps is forbidden");
    expect(broken.triggers).toEqual([]);
  });

  it("an unknown application is 404", async () => {
    const t = setup();
    served = await serveRoutes([t.route]);
    const r = await served.call("POST", "/api/v1/applications/nope/approve", { token: AS.admin, body: {} });
    expect(r.status).toBe(404);
    expect(r.body.error).toContain("no Application nope at revision 0123456789ab; there are shop");
  });
});
