// Pod Security admission on a real kube-apiserver (its PodSecurity plugin is
// on by default): namespaces labelled `enforce: restricted` admit every pod
// berth generates for examples/shop and its upgrade-step Jobs; a Component
// that opts out of the defaults is refused there, and the release says why
// in Kubernetes' own words.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { commitFiles, createBareRepo, removeRepo, type FileTree, type GitFixture } from "../support/git.ts";
import { berth, kubeFor, tempCacheDir } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const [east, west] = clusters as [(typeof clusters)[0], (typeof clusters)[0]];

const EXAMPLE = join(process.cwd(), "examples", "shop");
const NS = "shop-podsec"; // inside the example Project's namespaces (shop, shop-*)
const LEGACY_NS = "podsec-legacy";
const RESTRICTED = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" };

/** examples/shop as committed, its clusters on the local ones (dev -> east, prod-hk -> west), its namespace this test's. */
function exampleFiles(): FileTree {
  const files: FileTree = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".yaml")) files[relative(EXAMPLE, p)] = readFileSync(p, "utf8");
    }
  };
  walk(EXAMPLE);
  const at = { dev: east, "prod-hk": west };
  for (const [name, c] of Object.entries(at)) {
    files[`clusters/${name}.yaml`] = files[`clusters/${name}.yaml`]!.replace(/kubeconfig: \{[^}]*\}/, `kubeconfig: { path: ${c.kubeconfig}, context: ${c.name} }`);
  }
  files["apps/shop.yaml"] = files["apps/shop.yaml"]!.replace("namespace: shop\n", `namespace: ${NS}\n`);
  return files;
}

const legacyComponent = (name: string, workload: "webservice" | "worker", securityContext: string) => `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: ${name} }
spec:
  version: 1.0.0
  workload: ${workload}
  container:
    image: registry.example.com/legacy/${name}
    ports: [{ name: http, port: 8080 }]
    securityContext: ${securityContext}
${workload === "webservice" ? `    health:
      liveness: { httpGet: { path: /livez, port: http } }
      readiness: { httpGet: { path: /readyz, port: http } }
      startup: { httpGet: { path: /startz, port: http } }
` : ""}`;

const legacyApp = `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: legacy }
spec:
  namespace: ${LEGACY_NS}
  components:
    - { name: root, component: legacy-root, version: "^1.0.0" }
    - { name: priv, component: legacy-priv, version: "^1.0.0" }
  placement: { clusters: [dev] }
`;

type Record_ = { action: string; result: string; error?: string; fromVersion?: string; toVersion?: string; steps: Array<{ kind: string; to: string; job: string; succeeded: boolean; message: string }> };
type Report = { clusters: Array<{ cluster: string; releases: Array<{ name: string; namespace: string; outcome: string; reason: string; records: Record_[] }> }> };
// by name and namespace: another test file's examples/shop on the shared clusters has releases of the same names elsewhere
const releaseOf = (report: Report, cluster: string, name: string, namespace = NS) => report.clusters.find((c) => c.cluster === cluster)!.releases.find((r) => r.name === name && r.namespace === namespace)!;

async function labelledNamespace(c: (typeof clusters)[0], name: string): Promise<void> {
  const { core } = kubeFor(c);
  await core.deleteNamespace({ name }).catch(() => undefined);
  for (;;) {
    try {
      await core.createNamespace({ body: { metadata: { name, labels: RESTRICTED } } });
      return;
    } catch (err) {
      // the namespace of an earlier run is still terminating
      if ((err as { code?: number }).code !== 409) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Every pod the namespace runs, with the securityContexts the API server admitted. */
async function podsOf(c: (typeof clusters)[0], namespace: string): Promise<k8s.V1Pod[]> {
  return (await kubeFor(c).core.listNamespacedPod({ namespace })).items;
}

describe("generated workloads under Pod Security restricted", () => {
  let repo: GitFixture;
  let cache: string;
  let files: FileTree;

  async function reconcile(timeout = "60") {
    const r = await berth(["reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", timeout, "--output", "json"]);
    const report = r.out.trim() ? (JSON.parse(r.out.trim().split("\n").at(-1)!) as Report) : undefined;
    return { ...r, report: report! };
  }

  beforeAll(async () => {
    for (const c of [east, west]) await labelledNamespace(c, NS);
    await labelledNamespace(east, LEGACY_NS);
    repo = await createBareRepo();
    cache = await tempCacheDir();
    files = exampleFiles();
    // prod-hk starts on api 3.0.1, so moving it to 3.0.6 later runs the example's upgrade step
    const pinned = { ...files, "overlays/shop-prod.yaml": files["overlays/shop-prod.yaml"]!.replace('version: "~3.0.6"', 'version: "3.0.1"') };
    await commitFiles(repo, pinned, { message: "examples/shop, prod-hk on api 3.0.1" });
  });

  afterAll(async () => {
    await removeRepo(repo);
    for (const c of [east, west]) await kubeFor(c).core.deleteNamespace({ name: NS }).catch(() => undefined);
    await kubeFor(east).core.deleteNamespace({ name: LEGACY_NS }).catch(() => undefined);
  });

  it("the API server enforces the label: a pod that runs as root is refused", async () => {
    const err = await kubeFor(east)
      .core.createNamespacedPod({ namespace: NS, body: { metadata: { name: "root" }, spec: { containers: [{ name: "c", image: "busybox" }] } } })
      .then(() => undefined, (e: unknown) => e as { code?: number; body?: unknown });
    expect(err?.code).toBe(403);
    const message = (JSON.parse(String(err?.body)) as { message: string }).message;
    expect(message).toMatch(/^pods "root" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  const EXAMPLE = new Set(["shop-api", "shop-db-init", "shop-redis"]);

  it("installs every release of examples/shop on both clusters, each pod admitted with the defaults", async () => {
    const r = await reconcile();
    expect(r.code, r.out + r.err).toBe(0);
    // only the example's releases: other test files' releases on the shared clusters are reported as orphans
    const outcomes = r.report.clusters.flatMap((c) => c.releases.filter((x) => EXAMPLE.has(x.name) && x.namespace === NS).map((x) => `${c.cluster}/${x.name}:${x.outcome}`)).sort();
    expect(outcomes).toEqual(["dev/shop-api:applied", "dev/shop-db-init:applied", "dev/shop-redis:applied", "prod-hk/shop-api:applied", "prod-hk/shop-db-init:applied", "prod-hk/shop-redis:applied"]);
    const pods = [...(await podsOf(east, NS)), ...(await podsOf(west, NS))];
    const owners = new Set(pods.map((p) => p.metadata?.labels?.["app.kubernetes.io/instance"]));
    // redis on prod-hk is an external service: no pod
    expect([...owners].sort()).toEqual(["shop-api", "shop-db-init", "shop-redis"]);
    for (const p of pods) {
      expect(p.spec?.securityContext, p.metadata?.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      for (const c of [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])]) {
        expect(c.securityContext, `${p.metadata?.name}/${c.name}`).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
        expect(c.volumeMounts?.map((m) => m.mountPath)).toContain("/tmp");
      }
    }
    // prod-hk's api runs 4 replicas under an autoscaler: a disruption budget is on by default; dev's single replica has none
    const pdb = await kubeFor(west).policy.readNamespacedPodDisruptionBudget({ name: "shop-api", namespace: NS });
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/instance": "shop-api" } } });
    expect((await kubeFor(east).policy.listNamespacedPodDisruptionBudget({ namespace: NS })).items).toEqual([]);
  });

  it("a networkPolicy trait denies ingress except from the peers it names", async () => {
    const netpol = `apiVersion: berth.dev/v1alpha1
kind: Overlay
metadata: { name: podsec-netpol }
spec:
  application: shop
  clusters: [dev]
  components:
    api: { traits: { networkPolicy: { from: [{ namespace: ingress-nginx }, { namespace: monitoring, pods: { app: prometheus } }], ports: [http] } } }
    redis: { traits: { networkPolicy: true } }
`;
    await commitFiles(repo, { "overlays/podsec-netpol.yaml": netpol }, { message: "dev: network policies" });
    const r = await reconcile();
    expect(r.code, r.out + r.err).toBe(0);
    // as the API server sends it (client-node names `from` `_from`)
    const read = async (name: string) =>
      JSON.parse((await execa(binaries.kubectl, ["--kubeconfig", east.kubeconfig, "-n", NS, "get", "networkpolicy", name, "-o", "json"])).stdout) as { spec: { ingress?: unknown[] } };
    expect((await read("shop-api")).spec).toMatchObject({
      policyTypes: ["Ingress"],
      podSelector: { matchLabels: { "app.kubernetes.io/instance": "shop-api" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { app: "prometheus" } } }], ports: [{ port: "http" }] }],
    });
    // on with nothing named: nobody may connect
    const redis = await read("shop-redis");
    expect(redis.spec?.ingress ?? []).toEqual([]);
  });

  it("runs the upgrade step's Job there too, admitted, then upgrades", async () => {
    await commitFiles(repo, { "overlays/shop-prod.yaml": files["overlays/shop-prod.yaml"]! }, { message: "prod-hk: api ~3.0.6" });
    const r = await reconcile();
    expect(r.code, r.out + r.err).toBe(0);
    const rec = releaseOf(r.report, "prod-hk", "shop-api").records;
    expect(rec.map((x) => [x.action, x.fromVersion, x.toVersion, x.result])).toEqual([["upgrade", "3.0.1", "3.0.6", "succeeded"]]);
    expect(rec[0]!.steps.map((s) => [s.kind, s.to, s.succeeded])).toEqual([["run", "3.0.6", true]]);
    const job = await kubeFor(west).batch.readNamespacedJob({ name: rec[0]!.steps[0]!.job, namespace: NS });
    const pod = job.spec!.template.spec!;
    // the step runs as its release's pods do: the workload's user and group ids too
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(pod.containers[0]!.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true });
    expect(pod.containers[0]!.resources?.limits).toMatchObject({ memory: "512Mi", "ephemeral-storage": "1Gi" });
    expect(job.status?.succeeded).toBe(1);
  });

  it("refuses a Component that opts out, with Kubernetes' message as the release's failure", async () => {
    await commitFiles(
      repo,
      {
        "components/legacy-root.yaml": legacyComponent("legacy-root", "webservice", "{ runAsNonRoot: false, runAsUser: 0 }"),
        "components/legacy-priv.yaml": legacyComponent("legacy-priv", "worker", "{ privileged: true, allowPrivilegeEscalation: true }"),
        "apps/legacy.yaml": legacyApp,
      },
      { message: "legacy: two Components that opt out of the defaults" },
    );
    const r = await reconcile("15");
    expect(r.code).toBe(1);
    const root = releaseOf(r.report, "dev", "legacy-root", LEGACY_NS);
    const priv = releaseOf(r.report, "dev", "legacy-priv", LEGACY_NS);
    for (const rel of [root, priv]) {
      expect(rel.records.at(-1)).toMatchObject({ action: "install", result: "failed" });
      expect(rel.records.at(-1)!.error).toMatch(/forbidden: violates PodSecurity "restricted:latest"/);
    }
    expect(root.records.at(-1)!.error).toMatch(/runAsNonRoot != true \(container "legacy-root" must not set securityContext\.runAsNonRoot=false\)/);
    expect(root.records.at(-1)!.error).toMatch(/runAsUser=0/);
    expect(priv.records.at(-1)!.error).toMatch(/privileged \(container "legacy-priv" must not set securityContext\.privileged=true\)/);
    // the example's releases were not touched
    expect(r.report.clusters.flatMap((c) => c.releases.filter((x) => EXAMPLE.has(x.name) && x.namespace === NS).map((x) => x.outcome))).toEqual(Array(6).fill("unchanged"));
  });
});
