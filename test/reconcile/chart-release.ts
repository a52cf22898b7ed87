// Third-party chart releases driven straight through reconcileCluster (the
// action layer) on a real cluster with the real helm: hand-built ReleaseSpecs
// whose chart has a `source.path`, and chart directories the test writes.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pino } from "pino";
import { createHelm } from "../../src/adapters/helm.ts";
import { createKube } from "../../src/adapters/kube.ts";
import type { ReleaseSpec, UpgradeStep } from "../../src/model/types.ts";
import { reconcileCluster, type ClusterTarget } from "../../src/reconcile/cluster.ts";
import { readBook, type ActionRecord } from "../../src/reconcile/memo.ts";
import type { ProvidedCluster } from "../cluster/global-setup.ts";
import { kubeFor } from "./fixture.ts";

const log = pino({ level: process.env.BERTH_TEST_LOG ?? "silent" });

/** Writes a chart directory (Chart.yaml + the files given) and returns its path. */
export async function writeChart(name: string, version: string, files: Record<string, string>): Promise<string> {
  const root = join(await mkdtemp(join(tmpdir(), `berth-chart-${name}-`)), name);
  const all = { "Chart.yaml": `apiVersion: v2\nname: ${name}\nversion: ${version}\n`, ...files };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

/** A ConfigMap named after the release, holding the chart version and a value. */
export const configMapTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  chart: {{ .Chart.Version | quote }}
  value: {{ .Values.value | default "none" | quote }}
`;

export interface ChartReleaseOptions {
  name: string;
  namespace: string;
  chart: string;
  version: string;
  values?: Record<string, unknown>;
  upgrades?: UpgradeStep[];
  adopt?: true | "replace";
  crds?: ReleaseSpec["crds"];
}

export function chartRelease(c: ProvidedCluster, o: ChartReleaseOptions): ReleaseSpec {
  const [application = o.name, entry = o.name] = o.name.split("-");
  return {
    name: o.name,
    cluster: c.name,
    application,
    entry,
    namespace: o.namespace,
    chart: { name: o.chart, version: o.version, source: { path: `charts/${o.chart}` } },
    component: { name: o.chart, version: o.version },
    values: o.values ?? {},
    dependsOn: [],
    requires: [],
    upgrades: o.upgrades ?? [],
    workloadKind: "Chart",
    ...(o.adopt ? { adopt: o.adopt } : {}),
    ...(o.crds ? { crds: o.crds } : {}),
  };
}

export function chartTarget(c: ProvidedCluster, helmBinary: string): ClusterTarget {
  return {
    name: c.name,
    paused: false,
    allowEmpty: true,
    kube: createKube({ cluster: c.name, kubeconfigPath: c.kubeconfig }),
    helm: createHelm({ binary: helmBinary, kubeconfig: c.kubeconfig, log }),
  };
}

/** One pass over `desired` on the target; `charts` maps `<chart>@<version>` to a local chart path. */
export function pass(target: ClusterTarget, desired: ReleaseSpec[], charts: Record<string, string>) {
  return reconcileCluster(target, {
    commit: "c1",
    desired,
    applications: new Map(desired.map((d) => [d.application, { prune: false, namespace: d.namespace }])),
    chartDir: async (chart) => {
      const path = charts[`${chart.name}@${chart.version}`];
      if (!path) throw new Error(`the test has no chart ${chart.name}@${chart.version}`);
      return path;
    },
    log,
    helmTimeoutMs: 60_000,
    stepTimeoutMs: 60_000,
  });
}

/** The release's records, from berth's memo ConfigMap on the cluster. */
export async function records(c: ProvidedCluster, namespace: string, release: string): Promise<ActionRecord[]> {
  const cm = await kubeFor(c).core.readNamespacedConfigMap({ name: `berth-memo-${release}`, namespace });
  return readBook(cm.data).records;
}

/** Each revision's labels, from Helm's storage Secrets, ascending. */
export async function storageLabels(c: ProvidedCluster, namespace: string, release: string): Promise<Array<Record<string, string>>> {
  const list = await kubeFor(c).core.listNamespacedSecret({ namespace, labelSelector: `owner=helm,name=${release}` });
  return list.items.map((s) => s.metadata?.labels ?? {}).sort((a, b) => Number(a.version) - Number(b.version));
}
