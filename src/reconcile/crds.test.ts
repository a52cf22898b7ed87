import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CrdState, KubeClient } from "../adapters/kube.ts";
import type { CrdPolicy, ReleaseSpec } from "../model/types.ts";
import type { Action } from "../plan/action.ts";
import { emptyMemo } from "../plan/observed.ts";
import type { PlannedRelease } from "../plan/plan.ts";
import { spec } from "../plan/test-specs.ts";
import { applyChartCrds, parseChartCrds } from "./crds.ts";
import type { CrdChanges } from "./memo.ts";
import { actionContext, fakeKube, recordingHelm } from "./test-fakes.ts";
import { applyRelease } from "./upgrade.ts";

const crd = (plural: string, extra = "") => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: ${plural}.example.com }
spec:
  group: example.com
  names: { kind: K${plural}, plural: ${plural} }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object${extra} } }
`;

async function chartDir(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "berth-crd-chart-"));
  await mkdir(join(root, "crds"), { recursive: true });
  for (const [p, t] of Object.entries(files)) await writeFile(join(root, p), t);
  return root;
}

/** CRDs on the fake cluster by name: an apply creates one, or bumps its resourceVersion when its text changed. */
function crdCluster(onCluster: Record<string, string>, failApply?: string) {
  const crds = new Map(Object.entries(onCluster).map(([n, text]) => [n, { text, rv: 1 }]));
  const applied: Array<{ name: string; force: boolean; manager: string }> = [];
  const waited: string[][] = [];
  const f = fakeKube();
  const kube: KubeClient = {
    ...f.kube,
    async readCrd(name): Promise<CrdState | undefined> {
      const c = crds.get(name);
      return c ? { resourceVersion: String(c.rv), established: true } : undefined;
    },
    async applyObject(obj, opts) {
      const name = (obj.metadata as { name: string }).name;
      if (name === failApply) throw new Error(`cluster east: apply CustomResourceDefinition ${name}: forbidden`);
      applied.push({ name, force: opts.force, manager: opts.fieldManager });
      const text = JSON.stringify(obj);
      const had = crds.get(name);
      if (!had) crds.set(name, { text, rv: 1 });
      else if (had.text !== text) crds.set(name, { text, rv: had.rv + 1 });
    },
    async waitCrdsEstablished(names) {
      waited.push(names);
    },
  };
  return { kube, applied, waited, crds };
}

const chartSpec = (crds?: CrdPolicy, over: Partial<ReleaseSpec> = {}) =>
  spec("infra-widgets", { chart: { name: "widgets", version: "2.0.0", source: { path: "charts/widgets" } }, workloadKind: "Chart", ...(crds ? { crds } : {}), ...over });

describe("parseChartCrds", () => {
  it("takes the CustomResourceDefinitions of every file and document, by name; other kinds and empty documents are left to helm", () => {
    const got = parseChartCrds([
      { path: "crds/b.yaml", text: `${crd("gadgets")}---\n---\napiVersion: v1\nkind: Namespace\nmetadata: { name: x }\n` },
      { path: "crds/a.yaml", text: crd("widgets") },
    ]);
    expect(got.map((c) => [c.name, c.file])).toEqual([
      ["gadgets.example.com", "crds/b.yaml"],
      ["widgets.example.com", "crds/a.yaml"],
    ]);
  });

  it.each<[string, string, string]>([
    ["v1beta1", crd("w").replace("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"), "crds/x.yaml: CustomResourceDefinition w.example.com is apiextensions.k8s.io/v1beta1; the API server serves apiextensions.k8s.io/v1 only"],
    ["no name", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {}\n", "crds/x.yaml: a CustomResourceDefinition without metadata.name"],
    ["not YAML", "kind: [", "crds/x.yaml: not YAML"],
  ])("refuses %s, naming the file", (_, text, message) => {
    expect(() => parseChartCrds([{ path: "crds/x.yaml", text }])).toThrow(message);
  });
});

describe("applyChartCrds", () => {
  const FIRST = crd("widgets");
  const FIRST_V2 = crd("widgets", ", properties: { spec: { type: object } }");
  const run = async (policy: CrdPolicy | undefined, onCluster: Record<string, string>, over: Partial<ReleaseSpec> = {}) => {
    const dir = await chartDir({ "crds/widgets.yaml": FIRST_V2, "crds/gadgets.yaml": crd("gadgets") });
    const c = crdCluster(onCluster);
    const changes: CrdChanges = { created: [], replaced: [] };
    await applyChartCrds(actionContext(c.kube, recordingHelm().helm, { chartDir: async () => dir }), chartSpec(policy, over), changes);
    return { ...c, changes };
  };
  const existing = () => ({ "widgets.example.com": JSON.stringify(parseChartCrds([{ path: "x", text: FIRST }])[0]!.object) });

  it("create (the default): the missing CRD is created, the one on the cluster left as it is", async () => {
    const r = await run(undefined, existing());
    expect(r.changes).toEqual({ created: ["gadgets.example.com"], replaced: [] });
    expect(r.applied).toEqual([{ name: "gadgets.example.com", force: true, manager: "berth" }]);
    expect(r.waited).toEqual([["gadgets.example.com"]]);
  });

  it("createReplace: the missing one created, the changed one replaced by the chart's definition", async () => {
    const r = await run("createReplace", existing());
    expect(r.changes).toEqual({ created: ["gadgets.example.com"], replaced: ["widgets.example.com"] });
    expect(r.waited).toEqual([["gadgets.example.com", "widgets.example.com"]]);
  });

  it("createReplace over CRDs already as the chart has them: applied, nothing recorded, nothing waited on", async () => {
    const dir = await chartDir({ "crds/widgets.yaml": FIRST });
    const c = crdCluster(existing());
    const changes: CrdChanges = { created: [], replaced: [] };
    await applyChartCrds(actionContext(c.kube, recordingHelm().helm, { chartDir: async () => dir }), chartSpec("createReplace"), changes);
    expect(c.applied).toHaveLength(1);
    expect(changes).toEqual({ created: [], replaced: [] });
    expect(c.waited).toEqual([]);
  });

  it.each<[string, CrdPolicy | undefined, Partial<ReleaseSpec>]>([
    ["skip", "skip", {}],
    ["a generated chart (no source)", "createReplace", { chart: { name: "webservice", version: "1.0.0" } }],
  ])("%s: the chart is not read and nothing is written", async (_, policy, over) => {
    const r = await run(policy, {}, over);
    expect(r.changes).toEqual({ created: [], replaced: [] });
    expect(r.applied).toEqual([]);
  });
});

describe("applyRelease with a chart's CRDs", () => {
  const item = (desired: ReleaseSpec, action: Action): PlannedRelease => ({
    name: desired.name,
    namespace: desired.namespace,
    application: desired.application,
    desired,
    digest: "d2",
    state: { name: "OutOfSync", reason: "git differs", deployed: { revision: 1, status: "deployed", version: "1.0.0" } },
    action,
    needs: [],
  });
  const upgrade: Extract<Action, { kind: "upgrade" }> = { kind: "upgrade", from: "1.0.0", to: "2.0.0", steps: [] };

  it("records the CRDs it created before helm ran; skip passes --skip-crds and writes none", async () => {
    const dir = await chartDir({ "crds/widgets.yaml": crd("widgets") });
    for (const [policy, flag, created] of [["create", undefined, ["widgets.example.com"]], ["skip", true, undefined]] as const) {
      const c = crdCluster({});
      const h = recordingHelm();
      const d = chartSpec(policy);
      const out = await applyRelease(actionContext(c.kube, h.helm, { chartDir: async () => dir }), { item: item(d, upgrade), memo: emptyMemo(), prune: false, persist: async () => {} }, upgrade);
      expect(out.record.result).toBe("succeeded");
      expect(out.record.crds?.created).toEqual(created);
      const up = h.calls.find((x) => x.verb === "upgrade")!;
      expect(up.verb === "upgrade" && up.o.skipCrds).toBe(flag);
    }
  });

  it("a CRD that cannot be written fails the upgrade before helm runs: no helm upgrade, no helm rollback", async () => {
    const dir = await chartDir({ "crds/a.yaml": crd("gadgets"), "crds/b.yaml": crd("widgets") });
    const c = crdCluster({}, "widgets.example.com");
    const h = recordingHelm();
    const out = await applyRelease(actionContext(c.kube, h.helm, { chartDir: async () => dir }), { item: item(chartSpec(), upgrade), memo: emptyMemo(), prune: false, persist: async () => {} }, upgrade);
    expect(out.record.result).toBe("failed");
    expect(out.record.error).toBe("the chart's CRDs: cluster east: apply CustomResourceDefinition widgets.example.com: forbidden");
    // what it did before failing is recorded
    expect(out.record.crds).toEqual({ created: ["gadgets.example.com"], replaced: [] });
    expect(h.calls).toEqual([]);
    expect(out.memo.failures).toBe(1);
  });
});
