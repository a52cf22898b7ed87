// A version moved back and forth runs its steps on every move, and a berth
// killed while a step ran does not run it twice for that move.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { stepJobName } from "../../src/reconcile/run-step.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, kubeFor, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-moves";
const REL = "mv-api";

const steps = `  upgrades:
    - from: ">=2.3.0 <2.4.0"
      to: 2.4.0
      run: { image: registry.example.com/test/migrate, args: ["up", "2.4.0"] }
      rollback: { image: registry.example.com/test/migrate, args: ["down", "2.3.0"] }
`;
const app = (range: string) =>
  `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: mv }\nspec:\n  namespace: ${NS}\n  components:\n    - { name: api, component: mv-api, version: "${range}" }\n`;

let repo: GitFixture;
let cache: string;
const flags = () => ["--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "30"];

type Step = { kind: string; to: string; job: string; succeeded: boolean; logs?: string };
type Rec = { action: string; result: string; fromVersion?: string; toVersion?: string; steps: Step[]; error?: string };

async function moveTo(range: string): Promise<void> {
  await commitFiles(repo, { "apps/mv.yaml": app(range) }, { message: `mv ${range}` });
  const r = await berth(["reconcile", "--once", ...flags(), "--output", "json"]);
  expect(r.err).toBe("");
  expect(r.code).toBe(0);
}
const jobs = async (kind: "run" | "rollback") =>
  (await kubeFor(east).batch.listNamespacedJob({ namespace: NS, labelSelector: `berth.dev/release=${REL},berth.dev/step=${kind}` })).items.map((j) => j.metadata!.name!).sort();
async function history(extra: string[] = []): Promise<Rec[]> {
  const h = await berth(["history", REL, "--cluster", east.name, ...flags(), "--output", "json", ...extra]);
  expect(h.code).toBe(0);
  return JSON.parse(h.out) as Rec[];
}

beforeAll(async () => {
  repo = await createBareRepo();
  cache = await tempCacheDir();
  await commitFiles(repo, {
    ...clusterFiles([east]),
    "components/mv-2.3.0.yaml": webComponent(REL, "2.3.0"),
    "components/mv-2.4.0.yaml": webComponent(REL, "2.4.0", { upgrades: steps }),
    "apps/mv.yaml": app("~2.3.0"),
  });
  const r = await berth(["reconcile", "--once", ...flags(), "--output", "json"]);
  expect(r.code).toBe(0);
});
afterAll(async () => removeRepo(repo));

describe("repeated moves", () => {
  it("2.3 -> 2.4 -> 2.3 -> 2.4 runs the up step twice and the down step once; history names each Job that ran", async () => {
    await moveTo("^2.3.0");
    await moveTo("~2.3.0");
    await moveTo("^2.3.0");

    const up = await jobs("run");
    const down = await jobs("rollback");
    expect(up).toHaveLength(2);
    expect(down).toHaveLength(1);

    const moves = (await history()).filter((r) => r.steps.length);
    expect(moves.map((r) => [r.action, r.fromVersion, r.toVersion, r.result])).toEqual([
      ["upgrade", "2.3.0", "2.4.0", "succeeded"],
      ["rollback", "2.4.0", "2.3.0", "succeeded"],
      ["upgrade", "2.3.0", "2.4.0", "succeeded"],
    ]);
    const named = moves.flatMap((r) => r.steps.map((s) => s.job));
    expect(new Set(named).size).toBe(3);
    expect([...named].sort()).toEqual([...up, ...down].sort());
    // the memo holds no move once the moves are recorded
    const cm = await kubeFor(east).core.readNamespacedConfigMap({ name: `berth-memo-${REL}`, namespace: NS });
    expect(JSON.parse(cm.data!["memo.json"]!).move).toBeUndefined();
  });

  it("a berth killed while a step Job ran leaves the move in the memo; the next run waits on that Job and creates none", async () => {
    await moveTo("~2.3.0");
    const { core, batch } = kubeFor(east);
    // The digest git asks for at ^2.3.0 is the one the last upgrade to 2.4.0 applied.
    const storage = await core.listNamespacedSecret({ namespace: NS, labelSelector: `owner=helm,name=${REL}` });
    const digest = storage.items
      .filter((s) => s.metadata?.labels?.["berth.dev/version"] === "2.4.0")
      .sort((a, b) => Number(a.metadata!.labels!.version) - Number(b.metadata!.labels!.version))
      .at(-1)!.metadata!.labels!["berth.dev/digest"]!;

    // What a berth killed mid-step leaves behind: the move in the memo, and its Job.
    const move = { id: "c4a5h000", digest, action: "upgrade", from: "2.3.0", to: "2.4.0", startedAt: new Date().toISOString() };
    const name = `berth-memo-${REL}`;
    const cm = await core.readNamespacedConfigMap({ name, namespace: NS });
    const memo = { ...JSON.parse(cm.data!["memo.json"]!), move };
    await core.replaceNamespacedConfigMap({ name, namespace: NS, body: { ...cm, data: { ...cm.data, "memo.json": JSON.stringify(memo) } } });
    const job = stepJobName({ release: REL, kind: "run", to: "2.4.0", move: move.id });
    const labels = { "berth.dev/managed": "true", "berth.dev/release": REL, "berth.dev/step": "run", "berth.dev/move": move.id };
    await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: job, labels },
        spec: { backoffLimit: 0, template: { metadata: { labels }, spec: { restartPolicy: "Never", containers: [{ name: "step", image: "registry.example.com/test/migrate:2.4.0" }] } } },
      },
    });
    const before = await jobs("run");

    await moveTo("^2.3.0");
    expect(await jobs("run")).toEqual(before);
    const last = (await history()).at(-1)!;
    expect([last.action, last.toVersion, last.result]).toEqual(["upgrade", "2.4.0", "succeeded"]);
    expect(last.steps.map((s) => s.job)).toEqual([job]);
  });

  it("keeps step logs out of the memo ConfigMap; `berth history --logs` reads them from the release's Secret", async () => {
    const cm = await kubeFor(east).core.readNamespacedConfigMap({ name: `berth-memo-${REL}`, namespace: NS });
    expect(cm.data!["records.json"]).not.toContain('"logs"');
    const secret = await kubeFor(east).core.readNamespacedSecret({ name: `berth-steps-${REL}`, namespace: NS });
    expect(secret.metadata!.labels).toMatchObject({ "berth.dev/step-logs": "true", "berth.dev/release": REL });
    const withLogs = (await history(["--logs"])).flatMap((r) => r.steps);
    expect(withLogs.length).toBeGreaterThan(0);
    for (const s of withLogs) expect(typeof s.logs).toBe("string");
    for (const s of (await history()).flatMap((r) => r.steps)) expect(s).not.toHaveProperty("logs");
  });
});
