// A chart's crds/ on a real cluster with the real helm, by the entry's policy:
// installed with the chart; a new chart version adds a field to its CRD and a
// second CRD: `create` creates the second and leaves the first, `createReplace`
// updates the first too (from a packaged .tgz), `skip` creates none.
import * as k8s from "@kubernetes/client-node";
import { execa } from "execa";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CrdPolicy } from "../../src/model/types.ts";
import { chartRelease, chartTarget, configMapTemplate, pass, records, writeChart } from "./chart-release.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "rt-crds";
const target = chartTarget(east, binaries.helm);
const charts: Record<string, string> = {};

const kc = new k8s.KubeConfig();
kc.loadFromFile(east.kubeconfig);
const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);

/** A CRD of group `<group>.example.com`; `color` adds a field to its schema. */
const crd = (plural: string, group: string, color = false) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.${group}.example.com
spec:
  group: ${group}.example.com
  names: { kind: ${plural[0]!.toUpperCase()}${plural.slice(1, -1)}, plural: ${plural}, singular: ${plural.slice(0, -1)} }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: { type: integer }${color ? "\n                color: { type: string }" : ""}
`;

// one chart per policy, so each has CRDs of its own group (CRDs are cluster-wide)
const GROUPS: Record<CrdPolicy, string> = { create: "crdcreate", createReplace: "crdreplace", skip: "crdskip" };

async function specFields(name: string): Promise<string[] | undefined> {
  try {
    const c = await ext.readCustomResourceDefinition({ name });
    return Object.keys(c.spec.versions[0]!.schema!.openAPIV3Schema!.properties!.spec!.properties!).sort();
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

const release = (policy: CrdPolicy, version: string) =>
  chartRelease(east, { name: `crd-${policy.toLowerCase()}`, namespace: NS, chart: `crd-${GROUPS[policy]}`, version, crds: policy });

beforeAll(async () => {
  for (const [policy, group] of Object.entries(GROUPS) as Array<[CrdPolicy, string]>) {
    const chart = `crd-${group}`;
    charts[`${chart}@1.0.0`] = await writeChart(chart, "1.0.0", { "templates/cm.yaml": configMapTemplate, "crds/widgets.yaml": crd("widgets", group) });
    const next = await writeChart(chart, "1.1.0", {
      "templates/cm.yaml": configMapTemplate,
      "crds/widgets.yaml": crd("widgets", group, true),
      "crds/gadgets.yaml": crd("gadgets", group),
    });
    // createReplace upgrades from a packaged chart, as a repository serves it
    if (policy === "createReplace") {
      const out = await mkdtemp(join(tmpdir(), "berth-crd-pkg-"));
      await execa(binaries.helm, ["package", next, "--destination", out]);
      charts[`${chart}@1.1.0`] = join(out, `${chart}-1.1.0.tgz`);
    } else charts[`${chart}@1.1.0`] = next;
  }
});
afterAll(async () => {
  for (const p of Object.keys(GROUPS)) await execa(binaries.helm, ["uninstall", `crd-${p.toLowerCase()}`, "--namespace", NS, "--kubeconfig", east.kubeconfig]).catch(() => undefined);
  for (const g of Object.values(GROUPS)) {
    for (const plural of ["widgets", "gadgets"]) await ext.deleteCustomResourceDefinition({ name: `${plural}.${g}.example.com` }).catch(() => undefined);
  }
});

describe("a chart's CRDs", () => {
  it("are created on install, except with skip", async () => {
    const res = await pass(target, (Object.keys(GROUPS) as CrdPolicy[]).map((p) => release(p, "1.0.0")), charts);
    // the shared cluster holds other tests' releases too, which a pass reports as orphans
    expect(res.releases.filter((r) => r.final.desired).map((r) => [r.name, r.outcome])).toEqual([
      ["crd-create", "applied"],
      ["crd-createreplace", "applied"],
      ["crd-skip", "applied"],
    ]);
    expect(await specFields("widgets.crdcreate.example.com")).toEqual(["size"]);
    expect(await specFields("widgets.crdreplace.example.com")).toEqual(["size"]);
    expect(await specFields("widgets.crdskip.example.com")).toBeUndefined();
    expect((await records(east, NS, "crd-create")).at(-1)!.crds).toEqual({ created: ["widgets.crdcreate.example.com"], replaced: [] });
    expect((await records(east, NS, "crd-skip")).at(-1)!.crds).toBeUndefined();
  });

  it("on upgrade: create adds the new CRD and leaves the first; createReplace updates the first too; skip touches none", async () => {
    const res = await pass(target, (Object.keys(GROUPS) as CrdPolicy[]).map((p) => release(p, "1.1.0")), charts);
    // the shared cluster holds other tests' releases too, which a pass reports as orphans
    expect(res.releases.filter((r) => r.final.desired).map((r) => [r.name, r.outcome])).toEqual([
      ["crd-create", "applied"],
      ["crd-createreplace", "applied"],
      ["crd-skip", "applied"],
    ]);

    expect(await specFields("widgets.crdcreate.example.com")).toEqual(["size"]);
    expect(await specFields("gadgets.crdcreate.example.com")).toEqual(["size"]);
    const create = (await records(east, NS, "crd-create")).at(-1)!;
    expect([create.action, create.fromVersion, create.toVersion, create.crds]).toEqual(["upgrade", "1.0.0", "1.1.0", { created: ["gadgets.crdcreate.example.com"], replaced: [] }]);

    expect(await specFields("widgets.crdreplace.example.com")).toEqual(["color", "size"]);
    expect(await specFields("gadgets.crdreplace.example.com")).toEqual(["size"]);
    expect((await records(east, NS, "crd-createreplace")).at(-1)!.crds).toEqual({
      created: ["gadgets.crdreplace.example.com"],
      replaced: ["widgets.crdreplace.example.com"],
    });

    expect(await specFields("widgets.crdskip.example.com")).toBeUndefined();
    expect(await specFields("gadgets.crdskip.example.com")).toBeUndefined();
  });

  it("a CRD replaced by berth can be used at once, and berth's apply owns the chart's fields", async () => {
    const crdObj = await ext.readCustomResourceDefinition({ name: "widgets.crdreplace.example.com" });
    expect(crdObj.status?.conditions?.find((c) => c.type === "Established")?.status).toBe("True");
    expect((crdObj.metadata?.managedFields ?? []).some((m) => m.manager === "berth" && m.operation === "Apply")).toBe(true);
  });
});
