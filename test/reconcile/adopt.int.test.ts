// Adoption on a real cluster: a release first installed with plain `helm
// install` is blocked without `adopt` (the reason says how), taken over with
// `adopt: true` (labelled, then upgraded along the semver path from the
// version its chart says) and replaced with `adopt: replace` (old manifest
// and values kept in a Secret, uninstalled, installed fresh).
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adoptedSecretName } from "../../src/adapters/kube/adopted-store.ts";
import type { UpgradeStep } from "../../src/model/types.ts";
import { chartRelease, chartTarget, configMapTemplate, pass, records, storageLabels, writeChart } from "./chart-release.ts";
import { kubeFor, revisions } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-adopt";
const charts: Record<string, string> = {};
const HELMS = [
  { helm: "Helm 4", binary: binaries.helm, app: "ad4" },
  { helm: "Helm 3", binary: binaries.helm3, app: "ad3" },
];

const step: UpgradeStep = { from: ">=1.0.0 <1.1.0", to: "1.1.0", run: { image: "registry.example.com/test/migrate", args: ["up"] } };

/** What a team did before berth: plain helm, no berth label. */
async function helmInstall(binary: string, release: string, version: string, value: string): Promise<void> {
  await execa(binary, [
    "upgrade", release, charts[`adoptee@${version}`]!, "--install", "--namespace", NS, "--create-namespace",
    "--set", `value=${value}`, "--wait", "--kubeconfig", east.kubeconfig,
  ]);
}
const configMap = (name: string) => kubeFor(east).core.readNamespacedConfigMap({ name, namespace: NS });

beforeAll(async () => {
  for (const v of ["1.0.0", "1.1.0"]) charts[`adoptee@${v}`] = await writeChart("adoptee", v, { "templates/cm.yaml": configMapTemplate });
});
afterAll(async () => {
  for (const r of HELMS.flatMap((h) => [`${h.app}-take`, `${h.app}-swap`])) await execa(binaries.helm, ["uninstall", r, "--namespace", NS, "--kubeconfig", east.kubeconfig]).catch(() => undefined);
});

describe.each(HELMS)("adopting a release installed with plain helm ($helm)", ({ binary, app }) => {
  const target = chartTarget(east, binary);
  const TAKE = `${app}-take`;
  const SWAP = `${app}-swap`;

  it("without adopt: blocked, untouched, and the reason says how to adopt", async () => {
    await helmInstall(binary, TAKE, "1.0.0", "by-hand");
    const calls = target.helm.calls;
    const res = await pass(target, [chartRelease(east, { name: TAKE, namespace: NS, chart: "adoptee", version: "1.1.0", upgrades: [step] })], charts);
    const r = res.releases[0]!;
    expect(r.outcome).toBe("blocked");
    expect(r.reason).toBe(
      `release ${TAKE} in rt-adopt exists (revision 1, deployed) but berth does not own it; berth never touches a release it does not own: ` +
        `to take it over, set \`adopt: true\` on entry take of Application ${app} (berth labels it, then upgrades it), ` +
        "or `adopt: replace` (berth keeps its manifest and values, uninstalls it and installs fresh)",
    );
    expect(target.helm.calls).toBe(calls);
    expect((await storageLabels(east, NS, TAKE)).map((l) => l["berth.dev/managed"])).toEqual([undefined]);
  });

  it("adopt: true labels it as berth's, then upgrades it from the version its chart says, running the step on the path", async () => {
    const desired = chartRelease(east, { name: TAKE, namespace: NS, chart: "adoptee", version: "1.1.0", upgrades: [step], adopt: true, values: { value: "by-berth" } });
    const res = await pass(target, [desired], charts);
    expect(res.releases[0]).toMatchObject({ outcome: "applied" });

    const history = await records(east, NS, TAKE);
    expect(history.map((h) => [h.action, h.fromVersion, h.toVersion, h.result])).toEqual([
      ["adopt", "1.0.0", "1.1.0", "succeeded"],
      ["upgrade", "1.0.0", "1.1.0", "succeeded"],
    ]);
    expect(history[0]!.adopted).toEqual({ mode: "label", revision: 1, status: "deployed", chart: { name: "adoptee", version: "1.0.0" }, labelled: [1] });
    expect(history[1]!.steps.map((s) => [s.kind, s.to, s.succeeded])).toEqual([["run", "1.1.0", true]]);

    // both revisions are berth's: the one helm installed carries the version it ran, the upgrade berth's digest
    const labels = await storageLabels(east, NS, TAKE);
    expect(labels.map((l) => [l.version, l.status, l["berth.dev/managed"], l["berth.dev/version"], l["berth.dev/application"]])).toEqual([
      ["1", "superseded", "true", "1.0.0", app],
      ["2", "deployed", "true", "1.1.0", app],
    ]);
    expect(labels[1]!["berth.dev/digest"]).toMatch(/^[0-9a-f]{40}$/);
    expect((await configMap(TAKE)).data).toEqual({ chart: "1.1.0", value: "by-berth" });

    // the next pass: in sync, never adopted again, no helm call
    const calls = target.helm.calls;
    const again = await pass(target, [desired], charts);
    expect(again.releases[0]).toMatchObject({ outcome: "unchanged" });
    expect(target.helm.calls).toBe(calls);
    expect(await records(east, NS, TAKE)).toHaveLength(2);
  });

  it("adopt: replace keeps the old manifest and values in a Secret, uninstalls the release and installs it fresh", async () => {
    await helmInstall(binary, SWAP, "1.0.0", "first");
    await helmInstall(binary, SWAP, "1.0.0", "hand-tuned");
    expect((await revisions(east, NS, SWAP)).map((r) => r.revision)).toEqual([1, 2]);

    const desired = chartRelease(east, { name: SWAP, namespace: NS, chart: "adoptee", version: "1.1.0", adopt: "replace", values: { value: "fresh" } });
    const res = await pass(target, [desired], charts);
    expect(res.releases[0]).toMatchObject({ outcome: "applied" });

    const history = await records(east, NS, SWAP);
    expect(history.map((h) => [h.action, h.fromVersion, h.toVersion, h.result])).toEqual([
      ["adopt", "1.0.0", "1.1.0", "succeeded"],
      ["install", undefined, "1.1.0", "succeeded"],
    ]);
    expect(history[0]!.adopted).toEqual({
      mode: "replace",
      revision: 2,
      status: "deployed",
      chart: { name: "adoptee", version: "1.0.0" },
      kept: adoptedSecretName(SWAP),
      uninstalled: true,
    });
    // installed fresh: one revision, berth's
    expect((await storageLabels(east, NS, SWAP)).map((l) => [l.version, l.status, l["berth.dev/managed"]])).toEqual([["1", "deployed", "true"]]);
    expect((await configMap(SWAP)).data).toEqual({ chart: "1.1.0", value: "fresh" });

    // the old release as it was, in a Secret (the values never in the memo ConfigMap)
    const secret = await kubeFor(east).core.readNamespacedSecret({ name: adoptedSecretName(SWAP), namespace: NS });
    const kept = JSON.parse(Buffer.from(secret.data!["adopted.json"]!, "base64").toString("utf8")) as { manifest: string; values: string; revision: number };
    expect(kept.revision).toBe(2);
    expect(kept.manifest).toContain(`name: ${SWAP}`);
    expect(kept.manifest).toContain('value: "hand-tuned"');
    expect(JSON.parse(kept.values)).toEqual({ value: "hand-tuned" });
    const memo = await kubeFor(east).core.readNamespacedConfigMap({ name: `berth-memo-${SWAP}`, namespace: NS });
    expect(JSON.stringify(memo.data)).not.toContain("hand-tuned");
  });
});
