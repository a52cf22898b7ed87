// Projects at run time, on a real cluster with RBAC enforced: a Project that
// impersonates its ServiceAccount gets exactly what that account's Role allows
// (the API server refuses the rest), a rendered chart that leaves its Project
// is refused before helm runs, and nothing else in the run is affected.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadRepo } from "../../src/model/load.ts";
import type { ReleaseProject, ReleaseSpec } from "../../src/model/types.ts";
import { readBook } from "../../src/reconcile/memo.ts";
import { reconcileCluster } from "../../src/reconcile/cluster.ts";
import { createTargetCache } from "../../src/reconcile/targets.ts";
import type { RunReport } from "../../src/reconcile/loop.ts";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, kubeFor, revisions, tempCacheDir, webComponent } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const SA = "system:serviceaccount:pj-shop:berth-shop";
const namespaces = ["pj-shop", "pj-free", "pj-check"];

function admin() {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(east.kubeconfig);
  return { ...kubeFor(east), rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api), net: kc.makeApiClient(k8s.NetworkingV1Api) };
}

const notFound = (p: Promise<unknown>) => p.then(() => false).catch((e: { code?: number }) => e.code === 404);

beforeAll(async () => {
  const { core, rbac } = admin();
  for (const name of namespaces) await core.createNamespace({ body: { metadata: { name } } }).catch(() => undefined);
  await core.createNamespacedServiceAccount({ namespace: "pj-shop", body: { metadata: { name: "berth-shop" } } }).catch(() => undefined);
  const all = ["get", "list", "watch", "create", "update", "patch", "delete"];
  // What helm needs for the generated webservice chart (Helm storage in Secrets, the workload and its
  // Service) — and no Ingress, no Job (so a step Job shows whose it is), no NetworkPolicy or ServiceAccount.
  await rbac
    .createNamespacedRole({
      namespace: "pj-shop",
      body: {
        metadata: { name: "berth-shop" },
        rules: [
          { apiGroups: [""], resources: ["secrets", "configmaps", "services", "pods", "pods/log", "events", "endpoints"], verbs: all },
          { apiGroups: ["apps"], resources: ["deployments", "replicasets", "statefulsets"], verbs: all },
          { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: all },
        ],
      },
    })
    .catch(() => undefined);
  await rbac
    .createNamespacedRoleBinding({
      namespace: "pj-shop",
      body: {
        metadata: { name: "berth-shop" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "berth-shop" },
        subjects: [{ kind: "ServiceAccount", name: "berth-shop", namespace: "pj-shop" }],
      },
    })
    .catch(() => undefined);
});

afterAll(async () => {
  const { core } = admin();
  for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe("a Project that impersonates its ServiceAccount", () => {
  let repo: GitFixture;
  let cache: string;
  beforeAll(async () => {
    repo = await createBareRepo();
    cache = await tempCacheDir();
    const ingress = `traits: { ingress: { host: gw.example.com, path: / } }`;
    await commitFiles(repo, {
      ...clusterFiles([east]),
      "components/api.yaml": webComponent("pj-api", "1.0.0"),
      "components/gw.yaml": webComponent("pj-gw", "1.0.0"),
      "projects/shop-team.yaml": `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: { name: shop-team }
spec:
  namespaces: [pj-shop]
  impersonate: { serviceAccount: berth-shop, namespace: pj-shop }
`,
      "apps/pjs.yaml": `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: pjs }
spec:
  project: shop-team
  namespace: pj-shop
  components:
    - { name: api, component: pj-api, version: "^1.0.0" }
    - { name: gw, component: pj-gw, version: "^1.0.0", ${ingress} }
`,
      // the same component, outside any Project: berth's own identity
      "apps/pjfree.yaml": `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: pjfree }
spec:
  namespace: pj-free
  components:
    - { name: gw, component: pj-gw, version: "^1.0.0", ${ingress} }
`,
    });
  });
  afterAll(async () => removeRepo(repo));

  it("installs what its Role allows, the API server refuses the rest for that release only, and another application is unaffected", async () => {
    const r = await berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "60", "--output", "json"]);
    const report = JSON.parse(r.out) as RunReport;
    const releases = new Map(report.clusters.find((c) => c.cluster === east.name)!.releases.map((x) => [x.name, x]));

    // (a) within its rights: installed by helm acting as the ServiceAccount
    expect(releases.get("pjs-api"), r.out).toMatchObject({ outcome: "applied" });
    expect((await revisions(east, "pj-shop", "pjs-api")).at(-1)).toMatchObject({ status: "deployed" });
    // an Ingress is outside the Role: the API server refuses the ServiceAccount, naming it
    const gw = releases.get("pjs-gw")!;
    expect(gw.outcome).toBe("failed");
    expect(gw.reason).toMatch(/ingresses\.networking\.k8s\.io .*is forbidden/);
    expect(gw.reason).toContain(`User "${SA}"`);
    expect(await notFound(admin().net.readNamespacedIngress({ namespace: "pj-shop", name: "pjs-gw" }))).toBe(true);

    // (c) the same chart without a Project, in the same run: berth's own identity, installed
    expect(releases.get("pjfree-gw")).toMatchObject({ outcome: "applied" });
    const ing = await admin().net.readNamespacedIngress({ namespace: "pj-free", name: "pjfree-gw" });
    expect(ing.spec?.rules?.[0]?.host).toBe("gw.example.com");
    expect(r.code).toBe(1); // one release failed

    // nothing changed since: no render, no helm call, for a Project's releases as for any other
    const again = JSON.parse((await berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--output", "json"])).out) as RunReport;
    expect(again.helmCalls).toBe(0);
    const waiting = again.clusters.find((c) => c.cluster === east.name)!.releases.find((x) => x.name === "pjs-gw")!;
    expect(waiting.outcome).toBe("blocked");
    expect(waiting.reason).toMatch(/^retry 2 of 5 in \d+s after 1 failure; last attempt: .*ingresses\.networking\.k8s\.io .*is forbidden/);
  });

  it("runs its upgrade steps as the ServiceAccount too: a Job the Role does not allow is refused, and nothing is upgraded", async () => {
    const step = `  upgrades:
    - from: ">=1.0.0 <1.0.1"
      to: 1.0.1
      run: { image: registry.example.com/test/migrate, args: ["up"] }
`;
    await commitFiles(repo, { "components/api-1.0.1.yaml": webComponent("pj-api", "1.0.1", { upgrades: step }) });
    const r = await berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "60", "--output", "json"]);
    const report = JSON.parse(r.out) as RunReport;
    const api = report.clusters.find((c) => c.cluster === east.name)!.releases.find((x) => x.name === "pjs-api")!;
    expect(api.outcome, r.out).toBe("failed");
    expect(api.reason).toMatch(/jobs\.batch is forbidden/);
    expect(api.reason).toContain(`User "${SA}"`);
    expect((await kubeFor(east).batch.listNamespacedJob({ namespace: "pj-shop" })).items).toEqual([]);
    expect(await deploymentImage(east, "pj-shop", "pjs-api")).toBe("registry.example.com/test/pj-api:1.0.0");
    expect((await revisions(east, "pj-shop", "pjs-api")).length).toBe(1);
  });
});

describe("a rendered chart that leaves its Project", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-project-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A chart directory with these templates. */
  function chart(name: string, templates: Record<string, string>): string {
    const c = join(dir, name);
    mkdirSync(join(c, "templates"), { recursive: true });
    writeFileSync(join(c, "Chart.yaml"), `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`);
    for (const [f, t] of Object.entries(templates)) writeFileSync(join(c, "templates", f), t);
    return c;
  }
  const configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: {{ .Release.Name }} }\ndata: { a: b }\n";
  const grantAll = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: pj-grant-all }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ kind: ServiceAccount, name: default, namespace: {{ .Release.Namespace }} }]
`;
  // a kind of the cluster's own (an installed CRD), cluster-scoped: only discovery can tell
  const widget = "apiVersion: pj.example.com/v1\nkind: ClusterWidget\nmetadata: { name: pj-widget }\nspec: { size: 1 }\n";
  const charts: Record<string, string> = {
    rbac: chart("rbac", { "cm.yaml": configMap, "crb.yaml": grantAll }),
    widget: chart("widget", { "widget.yaml": widget }),
    plain: chart("plain", { "cm.yaml": configMap }),
  };
  const crdName = "clusterwidgets.pj.example.com";
  beforeAll(async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(east.kubeconfig);
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group: "pj.example.com",
          scope: "Cluster",
          names: { plural: "clusterwidgets", singular: "clusterwidget", kind: "ClusterWidget" },
          versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } } }],
        },
      },
    });
    for (let i = 0; i < 100; i++) {
      const crd = await ext.readCustomResourceDefinition({ name: crdName });
      if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(east.kubeconfig);
    await kc.makeApiClient(k8s.ApiextensionsV1Api).deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
  });
  // No impersonation: berth's own (admin) identity would create the binding; only the check stands in the way.
  const project: ReleaseProject = { name: "check-team", namespaces: ["pj-check"], clusterScoped: [] };
  const release = (app: string, chartName: string, p?: ReleaseProject): ReleaseSpec => ({
    name: `${app}-x`,
    cluster: east.name,
    application: app,
    entry: "x",
    namespace: "pj-check",
    chart: { name: chartName, version: "1.0.0" },
    component: { name: "x", version: "1.0.0" },
    values: {},
    dependsOn: [],
    requires: [],
    upgrades: [],
    workloadKind: "Job",
    ...(p ? { project: p } : {}),
  });

  it("is refused before helm installs anything, naming the object and the Project; the other releases install", async () => {
    const repoDir = join(dir, "defs");
    mkdirSync(join(repoDir, "clusters"), { recursive: true });
    writeFileSync(join(repoDir, "clusters", "east.yaml"), clusterFiles([east])[`clusters/${east.name}.yaml`]!);
    const verbs: string[] = [];
    const cache = createTargetCache({
      helmBinary: binaries.helm,
      log: pino({ level: "silent" }),
      kubeconfig: { dirs: [dirname(east.kubeconfig)], deny: [], allowExec: false },
      onHelmCall: (_c, verb) => verbs.push(verb),
    });
    const [target] = cache.targets((await loadRepo(repoDir)).clusters);
    const pass = () => reconcileCluster(target!, {
      commit: "c1",
      desired: [release("pjcheck", "rbac", project), release("pjwidget", "widget", project), release("pjother", "plain")],
      applications: new Map([
        ["pjcheck", { prune: false, namespace: "pj-check" }],
        ["pjwidget", { prune: false, namespace: "pj-check" }],
        ["pjother", { prune: false, namespace: "pj-check" }],
      ]),
      chartDir: async (c) => charts[c.name]!,
      log: pino({ level: "silent" }),
      helmTimeoutMs: 60_000,
    });
    const res = await pass();
    const byName = new Map(res.releases.map((x) => [x.name, x]));
    const refused = byName.get("pjcheck-x")!;
    expect(refused.outcome).toBe("blocked");
    expect(refused.reason).toMatch(/Project check-team/);
    expect(refused.reason).toMatch(/ClusterRoleBinding pj-grant-all is cluster-scoped/);
    // rendered, never installed: no binding, no Helm storage, and the record says why
    expect(await notFound(admin().rbac.readClusterRoleBinding({ name: "pj-grant-all" }))).toBe(true);
    expect(await revisions(east, "pj-check", "pjcheck-x")).toEqual([]);
    const memo = await kubeFor(east).core.listNamespacedConfigMap({ namespace: "pj-check", labelSelector: "berth.dev/memo=true,berth.dev/release=pjcheck-x" });
    const book = readBook(memo.items[0]?.data);
    expect(book.records.at(-1)).toMatchObject({ action: "install", result: "failed", error: refused.reason });

    // a kind only the cluster knows is cluster-scoped: discovery tells, and it is refused the same way
    const w = byName.get("pjwidget-x")!;
    expect(w.outcome).toBe("blocked");
    expect(w.reason).toMatch(/ClusterWidget pj-widget is cluster-scoped, and Project check-team allows cluster-scoped kinds: none/);
    expect(await revisions(east, "pj-check", "pjwidget-x")).toEqual([]);

    // the release without a Project, in the same pass: one helm call, installed
    expect(byName.get("pjother-x")).toMatchObject({ outcome: "applied" });
    expect((await revisions(east, "pj-check", "pjother-x")).at(-1)).toMatchObject({ status: "deployed" });
    // (plus the one `helm version` probe a client makes before its first upgrade)
    expect(verbs.filter((v) => v !== "version").sort()).toEqual(["template", "template", "upgrade"]);

    // the next pass waits to retry, says why, and renders nothing
    verbs.length = 0;
    const next = (await pass()).releases.find((x) => x.name === "pjcheck-x")!;
    expect(next.outcome).toBe("blocked");
    expect(next.reason).toMatch(/^retry 2 of 5 in \d+s after 1 failure; last attempt: refused before install: .*ClusterRoleBinding pj-grant-all/);
    expect(verbs).toEqual([]);
  });
});
