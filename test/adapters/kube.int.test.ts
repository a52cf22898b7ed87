// The kube adapter's reads of Helm's release storage, on a real cluster with
// the real helm: state comes from the storage Secrets' labels alone (a
// metadata-only list), the payload only where berth needs the manifest.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createHelm } from "../../src/adapters/helm.ts";
import { createKube, LABELS } from "../../src/adapters/kube.ts";
import { createLogger } from "../../src/log.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const NS = "kube-adapter";
const NAME = "storage-probe";

const kube = createKube({ cluster: east!.name, kubeconfigPath: east!.kubeconfig });
const helm = createHelm({ binary: binaries.helm, kubeconfig: east!.kubeconfig, log: createLogger({ level: "silent" }) });
let chartDir: string;

const install = (digest: string, data: string) =>
  helm.upgradeInstall({
    release: NAME,
    namespace: NS,
    chartDir,
    values: { data },
    labels: { [LABELS.managed]: "true", [LABELS.application]: "probe", [LABELS.digest]: digest, [LABELS.version]: "1.0.0" },
    timeoutMs: 60_000,
  });

beforeAll(async () => {
  chartDir = await mkdtemp(join(tmpdir(), "berth-kube-int-"));
  await mkdir(join(chartDir, "templates"));
  await writeFile(join(chartDir, "Chart.yaml"), "apiVersion: v2\nname: probe\nversion: 0.1.0\n");
  await writeFile(
    join(chartDir, "templates/cm.yaml"),
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  value: {{ .Values.data | quote }}\n",
  );
  await kube.ensureNamespace(NS);
});

afterAll(async () => {
  await helm.uninstall({ release: NAME, namespace: NS, timeoutMs: 60_000 }).catch(() => undefined);
  await rm(chartDir, { recursive: true, force: true });
});

describe("Helm release storage through the kube adapter", () => {
  it("a release that is not there reads as absent (an empty list has no items at all)", async () => {
    expect(await kube.getRelease(NS, NAME)).toBeUndefined();
    expect((await kube.listReleases()).find((r) => r.namespace === NS)).toBeUndefined();
  });

  it("reads ownership, digest, version and every revision's status from labels, and the deployed manifest from the payload", async () => {
    await install("d1", "one");
    await install("d2", "two");
    const expected = {
      name: NAME,
      namespace: NS,
      managed: true,
      prune: false,
      application: "probe",
      revisions: [
        { revision: 1, status: "superseded", digest: "d1", version: "1.0.0" },
        { revision: 2, status: "deployed", digest: "d2", version: "1.0.0" },
      ],
    };
    expect(await kube.getRelease(NS, NAME)).toEqual(expected);
    expect((await kube.listReleases()).find((r) => r.namespace === NS && r.name === NAME)).toEqual(expected);
    const deployed = await kube.readManifest(NS, NAME);
    expect(deployed?.revision).toBe(2);
    expect(deployed?.manifest).toContain('value: "two"');
    expect(deployed?.config).toEqual({ data: "two" });
  });
});

describe("berth's application records through the kube adapter", () => {
  it("creates a record, replaces it, lists it in one call, and ignores one whose value means nothing", async () => {
    const mine = async () => (await kube.listAppRecords()).filter((r) => r.namespace === NS);
    await kube.writeAppRecord({ application: "probe", namespace: NS, prune: true, commit: "c1", writtenAt: "2026-01-01T00:00:00.000Z" });
    expect(await mine()).toEqual([{ application: "probe", namespace: NS, prune: true, commit: "c1", writtenAt: "2026-01-01T00:00:00.000Z" }]);
    await kube.writeAppRecord({ application: "probe", namespace: NS, prune: false, commit: "c2", writtenAt: "2026-01-02T00:00:00.000Z" });
    expect(await mine()).toEqual([{ application: "probe", namespace: NS, prune: false, commit: "c2", writtenAt: "2026-01-02T00:00:00.000Z" }]);
    await directCore().createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "berth-app-garbled", labels: { [LABELS.appRecord]: "true", [LABELS.application]: "garbled" } }, data: { prune: "yes" } },
    });
    expect((await mine()).map((r) => r.application)).toEqual(["probe"]);
  });
});

/** The API server without berth in between, to plant what berth would never write. */
function directCore() {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(east!.kubeconfig);
  return kc.makeApiClient(k8s.CoreV1Api);
}
