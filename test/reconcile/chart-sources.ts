// Reconciling chart Components end to end: a definitions repository in real
// git, the real helm, the shared local clusters, and chart sources the test
// serves on loopback (a Helm HTTP repository, CNCF Distribution). The
// reconciler runs in-process with a fetcher the test holds, so each pass can
// count the requests it made.
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { createChartFetcher } from "../../src/adapters/charts/fetcher.ts";
import { createChartSources } from "../../src/adapters/charts/sources.ts";
import type { ChartFetcher } from "../../src/adapters/charts/types.ts";
import { defaultRenderer } from "../../src/cli/reconciler-flags.ts";
import { createReconciler, type Reconciler, type RunReport } from "../../src/reconcile/loop.ts";
import type { ReleaseResult } from "../../src/reconcile/release.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import { kubeFor } from "./fixture.ts";

const log = pino({ level: process.env.BERTH_TEST_LOG ?? "silent" });

export interface ChartRig {
  reconciler: Reconciler;
  fetcher: ChartFetcher;
  /** One pass; throws when the revision did not load. */
  pass(): Promise<RunReport>;
  close(): Promise<void>;
}

export interface ChartRigOptions {
  /** file:// URL of the definitions repository. */
  url: string;
  /** berth's --cache-dir (the chart archives live below it, so a second rig on it pulls nothing). */
  cacheDir: string;
  helm: string;
  credentialDirs?: string[];
}

export async function chartRig(o: ChartRigOptions): Promise<ChartRig> {
  const source: GitSource = await openSource(o.url, { cacheDir: join(o.cacheDir, "sources") });
  const fetcher = createChartFetcher({ cacheDir: join(o.cacheDir, "charts", "pulled"), log });
  const reconciler = createReconciler({
    source,
    renderer: defaultRenderer,
    log,
    cacheDir: o.cacheDir,
    helmBinary: o.helm,
    helmTimeoutMs: 60_000,
    stepTimeoutMs: 60_000,
    charts: createChartSources({ fetcher, credentialDirs: o.credentialDirs ?? [], log }),
  });
  return {
    reconciler,
    fetcher,
    async pass() {
      const r = await reconciler.runOnce();
      if (r.sourceError) throw new Error(`source: ${r.sourceError}`);
      if (r.invalid) throw new Error(`invalid revision:\n${r.invalid.message}`);
      return r;
    },
    close: () => source.close(),
  };
}

/** The result of one release on one cluster in a pass. */
export function releaseIn(report: RunReport, cluster: string, name: string): ReleaseResult {
  const c = report.clusters.find((x) => x.cluster === cluster);
  const r = c?.releases.find((x) => x.name === name);
  if (!r) throw new Error(`no release ${name} on ${cluster} in the report (${c?.releases.map((x) => x.name).join(", ") ?? `no cluster ${cluster}`})`);
  return r;
}

/** The releases of a pass that its revision declares (the shared clusters also hold other tests' releases, which a pass reports as orphans). */
const declared = (report: RunReport) => report.clusters.flatMap((c) => c.releases.filter((r) => r.final.desired !== undefined).map((r) => ({ key: `${c.cluster}/${r.name}`, r })));

/** Every declared release of a pass as `cluster/name: outcome`, for one readable assertion. */
export const outcomes = (report: RunReport): Record<string, string> => Object.fromEntries(declared(report).map(({ key, r }) => [key, r.outcome]));

/** Why each declared release ended as it did (its reason and any record's error), as an assertion's message. */
export const reasons = (report: RunReport): string =>
  JSON.stringify(Object.fromEntries(declared(report).map(({ key, r }) => [key, [r.reason, ...r.records.flatMap((x) => (x.error ? [x.error] : []))]])), null, 2);

export interface HelmListed {
  name: string;
  revision: string;
  status: string;
  chart: string;
}

/** What the real helm says of the releases in a namespace (`helm list -o json`). */
export async function helmList(helm: string, c: ProvidedCluster, namespace: string): Promise<HelmListed[]> {
  const { stdout } = await execa(helm, ["list", "--namespace", namespace, "--output", "json", "--kubeconfig", c.kubeconfig]);
  return (JSON.parse(stdout) as HelmListed[]).map(({ name, revision, status, chart }) => ({ name, revision: String(revision), status, chart }));
}

/** `helm history` of a release: revision, status, chart and description. */
export async function helmHistory(helm: string, c: ProvidedCluster, namespace: string, release: string) {
  const { stdout } = await execa(helm, ["history", release, "--namespace", namespace, "--output", "json", "--kubeconfig", c.kubeconfig]);
  return (JSON.parse(stdout) as Array<{ revision: number; status: string; chart: string; description: string }>).map((h) => ({
    revision: h.revision,
    status: h.status,
    chart: h.chart,
    description: h.description,
  }));
}

/** The Deployments of a Helm release (by Helm's instance label): name and replicas. */
export async function releaseDeployments(c: ProvidedCluster, namespace: string, release: string) {
  const list = await kubeFor(c).apps.listNamespacedDeployment({ namespace, labelSelector: `app.kubernetes.io/instance=${release}` });
  return list.items.map((d) => ({ name: d.metadata!.name!, replicas: d.spec?.replicas, image: d.spec?.template.spec?.containers[0]?.image }));
}

export async function uninstall(helm: string, c: ProvidedCluster, namespace: string, releases: string[]): Promise<void> {
  for (const r of releases) await execa(helm, ["uninstall", r, "--namespace", namespace, "--kubeconfig", c.kubeconfig], { reject: false });
}

export const chartRepository = (name: string, url: string, extra = "") => `apiVersion: berth.dev/v1alpha1
kind: ChartRepository
metadata: { name: ${name} }
spec:
  url: ${url}
${extra}`;

/**
 * metrics-server as a chart Component. Its APIService and RBAC are switched
 * off: the APIService (v1beta1.metrics.k8s.io) and one ClusterRole are named
 * for the chart, not the release, so two releases on one cluster would fight
 * over them, and an APIService nobody serves slows discovery for every test.
 */
export function metricsServer(name: string, repository: string, opts: { versions?: string; upgrades?: string; values?: string } = {}): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: ${name} }
spec:
  chart: { repository: ${repository}, name: metrics-server${opts.versions ? `, versions: "${opts.versions}"` : ""} }
  values:
    apiService: { create: false }
    rbac: { create: false }
    args: [--kubelet-insecure-tls]
${opts.values ?? ""}${opts.upgrades ?? ""}`;
}
