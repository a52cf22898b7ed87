// The per-release API of a real `berth serve` with a real --auth-file on a
// local cluster: berth installs an application from a real git remote with
// the real helm, then, through HTTP only, with viewer, operator and admin
// tokens: its objects, pods, events and logs (kwok serves them; a follow is a
// text/event-stream), a restart seen on the Deployment's pod template and in
// history with who asked, a sync that applies a new commit, a rollback and a
// resume; 401 without a token or with an unknown one, 403 for a viewer acting
// and for an operator of another application.
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import type { ActionRecord } from "../../src/reconcile/memo.ts";
import { watchAuthFile } from "../../src/server/auth-file.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { KWOK_LOG_LINES, KWOK_PREVIOUS_LOG_LINES } from "../cluster/kwok-logs.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { answerChecker, type OpenApiDoc } from "../unit/helpers/openapi-check.ts";
import { parseEvents } from "../unit/helpers/release-api.ts";
import { clusterFiles, deploymentImage, kubeFor, tempCacheDir, webComponent } from "../reconcile/fixture.ts";
import { until as waitUntil } from "../support/until.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const NS = "ra-shop";
const REL = "ra-api";
const TOKENS = { viewer: "ra-viewer-token-3b1f", operator: "ra-operator-token-9c2e", other: "ra-other-token-51d0", admin: "ra-admin-token-07aa" };
const sha = (t: string) => createHash("sha256").update(t).digest("hex");

const app = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: ra }
spec:
  namespace: ${NS}
  components:
    - { name: api, component: ra-api, version: "^1.0.0" }
`;

let repo: GitFixture;
let source: GitSource;
let serve: ServeHandle;
let check: ReturnType<typeof answerChecker>;
const rel = () => `/api/v1/clusters/${east!.name}/releases/${REL}`;

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked against the document, then by the assertions
  body: any;
}

/** An API call with `token`; a JSON answer is checked against the document serve publishes. */
async function call(method: "GET" | "POST", path: string, token: string | undefined, body?: unknown): Promise<Answer> {
  const res = await fetch(`${serve.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as unknown;
  const template = `/api/v1/clusters/{cluster}/releases/{release}/${path.split("?")[0]!.split("/").at(-1)}`;
  const v = check(method, template, res.status);
  if (!v(json)) throw new Error(`${method} ${path} ${res.status} does not match the document: ${JSON.stringify(v.errors)}: ${JSON.stringify(json)}`);
  return { status: res.status, body: json };
}
const history = async (): Promise<{ suspended: boolean; records: ActionRecord[] }> => (await call("GET", `${rel()}/history`, TOKENS.viewer)).body;

const until = <T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 90_000) => waitUntil(what, f, timeoutMs);

beforeAll(async () => {
  repo = await createBareRepo();
  await commitFiles(repo, { ...clusterFiles([east!]), "components/api-1.0.0.yaml": webComponent("ra-api", "1.0.0"), "apps/ra.yaml": app }, { message: "ra-api 1.0.0" });
  const cache = await tempCacheDir();
  const authFile = join(cache, "auth.yaml");
  await writeFile(
    authFile,
    `tokens:
  - { name: ra-viewer, sha256: ${sha(TOKENS.viewer)}, role: viewer }
  - { name: ra-oncall, sha256: ${sha(TOKENS.operator)}, role: operator, applications: [ra] }
  - { name: billing-oncall, sha256: ${sha(TOKENS.other)}, role: operator, applications: [billing] }
  - { name: ra-platform, sha256: ${sha(TOKENS.admin)}, role: admin }
`,
  );
  source = await openSource(repo.url, { cacheDir: join(cache, "sources") });
  const log = createLogger({ level: process.env.BERTH_TEST_LOG ? "debug" : "silent" });
  serve = await startServe({
    source,
    cacheDir: cache,
    helmBinary: binaries.helm,
    log,
    port: 0,
    host: "127.0.0.1",
    tokens: watchAuthFile(authFile, { log }),
    intervalMs: 600_000, // only the first pass and the syncs asked for reconcile
    helmTimeoutMs: 60_000,
  });
  await until("readyz", async () => ((await fetch(`${serve.url}/readyz`)).status === 200 ? true : undefined), 240_000);
  const doc = (await (await fetch(`${serve.url}/api/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })).json()) as OpenApiDoc;
  check = answerChecker(doc);
});

afterAll(async () => {
  await serve?.close();
  await source?.close();
  await kubeFor(east!)
    .core.deleteNamespace({ name: NS })
    .catch(() => undefined);
  if (repo) await removeRepo(repo);
});

describe("a release through the API of berth serve", () => {
  it("tokens: none or an unknown one is 401 on reads and actions; a viewer may not act (403), nor an operator of another application", async () => {
    for (const path of [`${rel()}/objects`, `${rel()}/pods`, `${rel()}/events`, `${rel()}/logs?pod=x`]) {
      expect((await call("GET", path, undefined)).status, path).toBe(401);
      expect((await call("GET", path, "not-a-token")).status, path).toBe(401);
    }
    for (const action of ["restart", "sync", "rollback", "resume"]) {
      const body = action === "rollback" ? { toRevision: 1 } : undefined;
      expect((await call("POST", `${rel()}/${action}`, undefined, body)).status, action).toBe(401);
      const viewer = await call("POST", `${rel()}/${action}`, TOKENS.viewer, body);
      expect([action, viewer.status, viewer.body.error]).toEqual([action, 403, "token ra-viewer is a viewer: it may read, not act"]);
      const other = await call("POST", `${rel()}/${action}`, TOKENS.other, body);
      expect([action, other.status, other.body.error]).toEqual([action, 403, "token billing-oncall may act on billing, not on ra"]);
    }
    expect((await history()).records.map((r) => r.action)).toEqual(["install"]);
  });

  it("objects, pods and events as a viewer: the Deployment ready, its pod Running on the kwok node, their events newest first", async () => {
    const objects = await call("GET", `${rel()}/objects`, TOKENS.viewer);
    expect(objects.status).toBe(200);
    expect(objects.body).toMatchObject({ cluster: east!.name, release: REL, namespace: NS, revision: 1 });
    const byKind = Object.fromEntries(objects.body.objects.map((o: { kind: string; name: string }) => [`${o.kind}/${o.name}`, o]));
    expect(byKind[`Deployment/${REL}`]).toMatchObject({ state: "ready", message: "1/1 available" });
    expect(byKind[`Service/${REL}`]).toMatchObject({ state: "exists" });

    const pods = await until("the pod ready", async () => {
      const p = await call("GET", `${rel()}/pods`, TOKENS.viewer);
      return p.body.pods?.length === 1 && p.body.pods[0].ready === "1/1" ? p : undefined;
    });
    expect(pods.body.pods[0]).toMatchObject({ phase: "Running", node: "kwok-node-0", workload: { kind: "Deployment", name: REL }, images: ["registry.example.com/test/ra-api:1.0.0"] });

    const events = await call("GET", `${rel()}/events?limit=50`, TOKENS.viewer);
    const seen = events.body.events.map((e: { object: { kind: string }; reason: string }) => `${e.object.kind} ${e.reason}`);
    expect(seen).toEqual(expect.arrayContaining(["Deployment ScalingReplicaSet", "ReplicaSet SuccessfulCreate", "Pod Scheduled"]));
    const times = events.body.events.map((e: { lastTime: string }) => e.lastTime);
    expect(times).toEqual([...times].sort().reverse());
    expect((await call("GET", `${rel()}/events?limit=1`, TOKENS.viewer)).body).toMatchObject({ truncated: true, events: [events.body.events[0]] });
  });

  it("logs: read, with tail and previous, and followed as a text/event-stream of its lines, held open as kwok holds the log; a pod not the release's is 400", async () => {
    const pod = (await call("GET", `${rel()}/pods`, TOKENS.viewer)).body.pods[0].name as string;
    const logs = await call("GET", `${rel()}/logs?pod=${pod}`, TOKENS.viewer);
    expect(logs.status).toBe(200);
    expect(logs.body).toMatchObject({ pod, container: REL, previous: false, truncated: false });
    expect(logs.body.text).toBe(KWOK_LOG_LINES.map((l) => `${l}\n`).join(""));
    expect((await call("GET", `${rel()}/logs?pod=${pod}&tail=2`, TOKENS.viewer)).body.text).toBe(KWOK_LOG_LINES.slice(-2).map((l) => `${l}\n`).join(""));
    expect((await call("GET", `${rel()}/logs?pod=${pod}&previous=true`, TOKENS.viewer)).body.text).toBe(KWOK_PREVIOUS_LOG_LINES.map((l) => `${l}\n`).join(""));

    const stop = new AbortController();
    const res = await fetch(`${serve.url}${rel()}/logs?pod=${pod}&follow=true`, { headers: { authorization: `Bearer ${TOKENS.viewer}` }, signal: stop.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = res.body!.getReader();
    let text = "";
    await until("the followed lines", async () => {
      text += new TextDecoder().decode((await reader.read()).value);
      return text.includes(KWOK_LOG_LINES.at(-1)!) ? true : undefined;
    }, 30_000);
    const events = parseEvents(text.slice(0, text.lastIndexOf("\n\n") + 2));
    expect(events[0]).toMatchObject({ event: "open", data: expect.stringContaining(`"pod":"${pod}","container":"${REL}"`) });
    expect(events.filter((e) => e.event === "message").map((e) => e.data)).toEqual([...KWOK_LOG_LINES]);
    expect(events.some((e) => e.event === "end")).toBe(false); // kwok keeps the log open, as a running container's
    stop.abort();

    const refused = await call("GET", `${rel()}/logs?pod=kube-apiserver`, TOKENS.viewer);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe(`pod kube-apiserver is not one of release ${NS}/${REL}'s pods on cluster ${east!.name}; its pods are ${pod}`);
    expect((await call("GET", `${rel()}/logs?pod=${pod}&tail=0`, TOKENS.viewer)).status).toBe(400);
    expect((await call("GET", `/api/v1/clusters/${east!.name}/releases/nope/pods`, TOKENS.viewer)).status).toBe(404);
    expect((await call("GET", `/api/v1/clusters/north/releases/${REL}/pods`, TOKENS.viewer)).body.error).toMatch(/^no cluster north; there are /);
  });

  it("restart as the application's operator: the Deployment's pod template stamped, a new pod rolls, the history names who asked", async () => {
    const before = (await call("GET", `${rel()}/pods`, TOKENS.viewer)).body.pods[0].owner.name as string;
    const r = await call("POST", `${rel()}/restart`, TOKENS.operator);
    expect(r.status).toBe(200);
    const actor = { name: "ra-oncall", role: "operator" };
    expect(r.body.record).toMatchObject({ action: "restart", result: "succeeded", restarted: [`Deployment/${REL}`], actor, application: "ra", helmRevision: 1 });
    const d = await kubeFor(east!).apps.readNamespacedDeployment({ name: REL, namespace: NS });
    expect(d.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"]).toBe(r.body.record.at.replace(/\.\d{3}Z$/, "Z"));
    await until("a new pod of a new ReplicaSet, alone and ready", async () => {
      const p = (await call("GET", `${rel()}/pods`, TOKENS.viewer)).body.pods;
      return p.length === 1 && p[0].ready === "1/1" && p[0].owner.name !== before ? true : undefined;
    });
    expect((await history()).records.at(-1)).toEqual(r.body.record);
  });

  it("sync as the operator: 202 at once; the pass applies the new commit, after the sync's record", async () => {
    await commitFiles(repo, { "components/api-1.1.0.yaml": webComponent("ra-api", "1.1.0") }, { message: "ra-api 1.1.0" });
    const r = await call("POST", `${rel()}/sync`, TOKENS.operator);
    expect(r.status).toBe(202);
    expect(r.body.record).toMatchObject({ action: "sync", result: "succeeded", actor: { name: "ra-oncall", role: "operator" } });
    await until("1.1.0 applied", async () => ((await deploymentImage(east!, NS, REL)) === "registry.example.com/test/ra-api:1.1.0" ? true : undefined));
    const h = await until("the upgrade recorded", async () => {
      const x = await history();
      return x.records.at(-1)?.action === "upgrade" ? x : undefined;
    });
    expect(h.records.map((x) => `${x.action} ${x.actor?.name ?? "-"}`)).toEqual(["install -", "restart ra-oncall", "sync ra-oncall", "upgrade -"]);
  });

  it("rollback to revision 1 as an admin: 1.0.0 again and suspended; a sync leaves it; resume as the operator lifts it and a sync brings 1.1.0 back", async () => {
    const wrong = await call("POST", `${rel()}/rollback`, TOKENS.admin, { toRevision: 9 });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatch(/^release ra-api on cluster east has no revision 9; it has 1 \(1\.0\.0, superseded\), 2 \(1\.1\.0, deployed\)/);

    const rb = await call("POST", `${rel()}/rollback`, TOKENS.admin, { toRevision: 1 });
    expect(rb.status).toBe(200);
    expect(rb.body.record).toMatchObject({ action: "rollback", fromVersion: "1.1.0", toVersion: "1.0.0", result: "succeeded", helmRevision: 3, actor: { name: "ra-platform", role: "admin" }, application: "ra" });
    expect(await deploymentImage(east!, NS, REL)).toBe("registry.example.com/test/ra-api:1.0.0");
    expect((await history()).suspended).toBe(true);

    const held = serve.nextPass();
    expect((await call("POST", `${rel()}/sync`, TOKENS.operator)).body.message).toMatch(/which stays as it is: a manual rollback suspended it until resume$/);
    await held;
    expect(await deploymentImage(east!, NS, REL)).toBe("registry.example.com/test/ra-api:1.0.0");

    const res = await call("POST", `${rel()}/resume`, TOKENS.operator);
    expect(res.status).toBe(200);
    expect(res.body.record).toMatchObject({ action: "resume", result: "succeeded", actor: { name: "ra-oncall", role: "operator" } });
    expect((await history()).suspended).toBe(false);
    expect((await call("POST", `${rel()}/sync`, TOKENS.operator)).status).toBe(202);
    await until("1.1.0 applied again", async () => ((await deploymentImage(east!, NS, REL)) === "registry.example.com/test/ra-api:1.1.0" ? true : undefined));
    const actions = await until("the upgrade recorded", async () => {
      const x = (await history()).records.map((r) => `${r.action} ${r.actor?.name ?? "-"}`);
      return x.at(-1) === "upgrade -" ? x : undefined;
    });
    expect(actions.slice(4)).toEqual(["rollback ra-platform", "sync ra-oncall", "resume ra-oncall", "sync ra-oncall", "upgrade -"]);
  });
});
