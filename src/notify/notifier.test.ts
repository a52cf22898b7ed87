import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import type { Application, Cluster, NotificationSpec, Repo, ReleaseSpec } from "../model/types.ts";
import type { RunReport } from "../reconcile/loop.ts";
import type { Renderer } from "../reconcile/revision.ts";
import type { OutgoingRequest } from "./commit-status.ts";
import { createNotifier } from "./notifier.ts";
import type { Post } from "./send.ts";
import { verifySignature } from "./signature.ts";
import { SHA, cluster, notification, record, release } from "./test-fixtures.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-notifier-"));
  await writeFile(join(dir, "hook"), "hook-key\n");
  await writeFile(join(dir, "token"), "forge-token");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const H = { apiVersion: "berth.dev/v1alpha1" as const, origin: { file: "x.yaml", pos: () => ({ line: 1, col: 1 }) } };
const east: Cluster = { ...H, kind: "Cluster", metadata: { name: "east" }, spec: {} };
const shop: Application = { ...H, kind: "Application", metadata: { name: "shop" }, spec: { namespace: "shop", components: [] } };

function setup(spec: Partial<NotificationSpec>, urls = ["https://hooks.example.com/", "https://git.example.com/"]) {
  const sinks = spec.sinks ?? [{ webhook: { url: "https://hooks.example.com/berth", secretFile: join(dir, "hook") } }];
  const repo = { clusters: [east], applications: [shop], notifications: [notification({ ...spec, sinks })] } as unknown as Repo;
  const sent: OutgoingRequest[] = [];
  const post: Post = async (req) => void sent.push(req);
  const outcomes: string[] = [];
  const stored = new Map<string, Record<string, unknown>>();
  const notifier = createNotifier({
    policy: { credentialDirs: [dir], urls },
    namespace: "berth-system",
    source: { location: "https://git.example.com/shop/defs.git", status: () => ({ lastGood: { sha: SHA, dir: "/rev" } }) },
    kube: () => ({
      getObject: async (_a, _k, _ns, name) => stored.get(name),
      applyObject: async (obj) => void stored.set((obj.metadata as { name: string }).name, obj),
      ensureNamespace: async () => undefined,
    }),
    log: createLogger({ level: "silent" }),
    onOutcome: (sink, event, outcome) => outcomes.push(`${sink}/${event}/${outcome}`),
    post,
    backoff: { baseMs: 1, maxMs: 2, attempts: 2 },
  });
  const renderer = notifier.observe({ load: async () => repo, render: () => ({ charts: [], releases: [] }) } as Renderer);
  const report = (releases: ReturnType<typeof release>[]): RunReport => ({
    revision: SHA,
    desired: { commit: SHA, repo, byCluster: new Map([["east", [{ application: "shop" } as ReleaseSpec]]]), charts: new Map() },
    clusters: [cluster("east", releases)],
    helmCalls: 0,
    durationMs: 1,
  });
  return { notifier, renderer, sent, outcomes, report, stored };
}

describe("createNotifier", () => {
  it("a webhook gets each matching event once, signed with the key from its file", async () => {
    const { notifier, sent, outcomes, report } = setup({ on: ["failed", "succeeded"] });
    const failed = release("failed", "health timed out", [record("upgrade", "failed", "2026-12-02T23:00:00.000Z", { fromVersion: "1.0.0", toVersion: "1.1.0" })]);
    notifier.afterPass(report([failed]));
    notifier.afterPass(report([failed])); // the next pass reports the same record: not again
    await notifier.idle(5000);
    expect(sent).toHaveLength(1);
    const [req] = sent;
    expect(req!.url).toBe("https://hooks.example.com/berth");
    expect(verifySignature(req!.body, "hook-key", req!.headers["x-berth-signature-256"])).toBe(true);
    expect(JSON.parse(req!.body)).toMatchObject({ id: req!.headers["x-berth-event-id"], notification: "team", event: "failed", cluster: "east", release: "shop-web", revision: SHA, action: "upgrade", fromVersion: "1.0.0", toVersion: "1.1.0", reason: "health timed out" });
    expect(outcomes).toEqual(["webhook/failed/sent"]);
  });

  it("commit status: pending when the cluster's part starts, then success, with the forge token; nothing for a dry read", async () => {
    const { notifier, renderer, sent, report } = setup({ sinks: [{ commitStatus: { provider: "gitea", url: "https://git.example.com", tokenFile: join(dir, "token") } }] });
    await renderer.load("/rev");
    notifier.progress({ kind: "cluster-start", cluster: "east", work: "read" });
    notifier.progress({ kind: "cluster-start", cluster: "east", work: "reconcile" });
    notifier.afterPass(report([release("applied", "in sync", [record("upgrade", "succeeded", "t")])]));
    await notifier.idle(5000);
    expect(sent.map((r) => [r.url, JSON.parse(r.body).state, JSON.parse(r.body).context, r.headers.authorization])).toEqual([
      [`https://git.example.com/api/v1/repos/shop/defs/statuses/${SHA}`, "pending", "berth/east", "token forge-token"],
      [`https://git.example.com/api/v1/repos/shop/defs/statuses/${SHA}`, "success", "berth/east", "token forge-token"],
    ]);
  });

  it("posts nowhere the operator did not allow, and reads no file outside its directories", async () => {
    const { notifier, sent, outcomes, report } = setup({ sinks: [{ webhook: { url: "https://hooks.example.com/berth", secretFile: "/etc/passwd" } }, { slack: { urlFile: join(dir, "hook") } }] }, []);
    notifier.afterPass(report([release("failed", "boom")]));
    await notifier.idle(5000);
    expect(sent).toEqual([]);
    expect(outcomes.sort()).toEqual(["slack/failed/refused", "webhook/failed/refused"]);
  });

  it("remembers what was sent on the cluster: a new notifier (a restart) does not send it again", async () => {
    const a = setup({});
    const failed = release("failed", "boom", [record("install", "failed", "t1")]);
    a.notifier.afterPass(a.report([failed]));
    await a.notifier.idle(5000);
    expect(a.stored.get("berth-notifications")).toBeDefined();
    const b = setup({});
    for (const [k, v] of a.stored) b.stored.set(k, v);
    b.notifier.afterPass(b.report([failed]));
    await b.notifier.idle(5000);
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(0);
    expect(b.outcomes).toEqual(["webhook/failed/already-sent"]);
  });
});
