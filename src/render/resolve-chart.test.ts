import { beforeAll, describe, expect, it } from "vitest";
import { collectRepo, finishRepo } from "../model/build.ts";
import { PACKAGE_ROOT, readSchemas } from "../model/load.ts";
import type { SchemaSet } from "../model/schemas.ts";
import { chartPinKey, type ChartComponent, type ChartVersion, type Repo } from "../model/types.ts";
import { releaseDigest } from "../plan/digest.ts";
import { resolveReleases } from "./resolve.ts";
import { valuesIssues } from "./values-check.ts";
import { explainRelease } from "./explain.ts";
import { formatIssue } from "../errors.ts";

let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await readSchemas(PACKAGE_ROOT);
});

const URL = "https://charts.example/metrics-server";
const v = (version: string, digest = `sha256:${version.replaceAll(".", "")}`): ChartVersion => ({ version, digest, url: `${URL}/metrics-server-${version}.tgz` });

const REPO = `apiVersion: berth.dev/v1alpha1
kind: ChartRepository
metadata: { name: sigs }
spec: { url: ${URL} }
`;
const COMPONENT = `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: metrics-server }
spec:
  chart: { repository: sigs, name: metrics-server, versions: ">=3.12.0 <4" }
  values: { args: [--kubelet-insecure-tls], replicas: 1 }
  upgrades:
    - from: "<3.13.0"
      to: 3.13.0
      run: { image: busybox:1.36, command: [sh, -c, "echo backup"] }
`;
const APP = (entry: string) => `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: infra }
spec:
  namespace: kube-system
  components:
${entry}
`;
const CLUSTERS = `apiVersion: berth.dev/v1alpha1
kind: Cluster
metadata: { name: dev, labels: { env: dev } }
spec: {}
---
apiVersion: berth.dev/v1alpha1
kind: Cluster
metadata: { name: prod, labels: { env: prod } }
spec: {}
`;
const OVERLAY = `apiVersion: berth.dev/v1alpha1
kind: Overlay
metadata: { name: prod }
spec:
  application: infra
  clusters: [prod]
  components:
    metrics:
      version: "~3.12.0"
      values: { replicas: 2 }
`;

/** A repository whose chart source offered `offered` (what the loader's I/O step fills in). */
function repoWith(files: Record<string, string>, offered: ChartComponent["offered"], pins?: Repo["chartPins"]): { repo: Repo; issues: string[] } {
  const collected = collectRepo({
    root: "/r",
    files: Object.entries(files).map(([path, text]) => ({ path, text })),
    builtins: [],
    schemas,
    readTemplate: () => ({ error: "no templates here" }),
  });
  for (const c of collected.docs.charts) if (offered) c.offered = offered;
  const { repo, issues } = finishRepo(collected, { root: "/r" });
  if (pins) repo.chartPins = pins;
  return { repo, issues: issues.map(formatIssue) };
}

const ENTRY = `    - { name: metrics, component: metrics-server, version: "^3.12.0" }`;
const baseFiles = { "repo.yaml": REPO, "metrics.yaml": COMPONENT, "clusters.yaml": CLUSTERS, "overlay.yaml": OVERLAY };

describe("chart Components", () => {
  it("pick the highest offered version inside every range, per cluster, with values Component < entry < overlay", () => {
    const { repo, issues } = repoWith({ ...baseFiles, "app.yaml": APP(ENTRY) }, { versions: [v("3.12.2"), v("3.13.1"), v("3.14.0-rc.1"), v("4.0.0")] });
    expect(issues).toEqual([]);
    const [dev, prod] = resolveReleases(repo);
    expect(dev!.chart).toEqual({ name: "metrics-server", version: "3.13.1", source: { repository: "sigs", url: `${URL}/metrics-server-3.13.1.tgz` }, digest: "sha256:3131" });
    expect(dev!.values).toEqual({ args: ["--kubelet-insecure-tls"], replicas: 1 });
    expect(dev!.workloadKind).toBe("Chart");
    expect(dev!.upgrades.map((s) => s.to)).toEqual(["3.13.0"]);
    expect(prod!.chart.version).toBe("3.12.2");
    expect(prod!.values).toEqual({ args: ["--kubelet-insecure-tls"], replicas: 2 });
    // the step to 3.13.0 is above what prod runs
    expect(prod!.upgrades).toEqual([]);
  });

  it("explain: each value by its layer (Component < entry < overlay), and the overlay's range narrowing prod", () => {
    const { repo } = repoWith({ ...baseFiles, "app.yaml": APP(ENTRY) }, { versions: [v("3.12.2"), v("3.13.1"), v("3.14.0-rc.1"), v("4.0.0")] });
    const e = explainRelease(repo, { cluster: "prod", release: "infra-metrics" })!;
    expect(e.values.map((x) => [x.path, x.value, `${x.source.kind} ${x.source.name} ${x.source.at} ${x.source.field}`, x.overrode.map((o) => `${o.kind} ${o.name}=${JSON.stringify(o.value)}`)])).toEqual([
      ["args", ["--kubelet-insecure-tls"], "Component metrics-server metrics.yaml:6:13 spec.values.args", []],
      ["replicas", 2, "Overlay prod overlay.yaml:10:27 spec.components.metrics.values.replicas", ["Component metrics-server=1"]],
    ]);
    expect(e.version.picked).toBe("3.12.2");
    expect(e.version.ranges.map((r) => [r.range, r.source.kind, r.effect])).toEqual([
      [">=3.12.0 <4", "Component", "none"],
      ["^3.12.0", "Application", "none"],
      ["~3.12.0", "Overlay", "narrowed"],
    ]);
  });

  it("a chart re-pushed under the same version changes the release digest; a mirror URL does not", () => {
    const files = { ...baseFiles, "overlay.yaml": "" };
    const one = resolveReleases(repoWith({ ...files, "app.yaml": APP(ENTRY) }, { versions: [v("3.13.1", "sha256:aaa")] }).repo)[0]!;
    const again = resolveReleases(repoWith({ ...files, "app.yaml": APP(ENTRY) }, { versions: [v("3.13.1", "sha256:bbb")] }).repo)[0]!;
    const moved = resolveReleases(repoWith({ ...files, "app.yaml": APP(ENTRY) }, { versions: [{ ...v("3.13.1", "sha256:aaa"), url: "https://mirror/x.tgz" }] }).repo)[0]!;
    expect(releaseDigest(one)).not.toBe(releaseDigest(again));
    expect(releaseDigest(one)).toBe(releaseDigest(moved));
  });

  it("the digest the loader pinned wins over the index's (an OCI manifest digest)", () => {
    const files = { ...baseFiles, "overlay.yaml": "" };
    const pins = new Map([[chartPinKey({ repository: "sigs" }, "metrics-server", "3.13.1"), { digest: "sha256:manifest", values: {} }]]);
    const r = resolveReleases(repoWith({ ...files, "app.yaml": APP(ENTRY) }, { versions: [{ version: "3.13.1", url: "oci://r/metrics-server" }] }, pins).repo)[0]!;
    expect(r.chart.digest).toBe("sha256:manifest");
  });

  it("a source that could not be read makes its releases unavailable, not the revision invalid", () => {
    const { repo, issues } = repoWith({ ...baseFiles, "app.yaml": APP(ENTRY) }, { unavailable: "cannot read chart metrics-server from ChartRepository sigs: HTTP 503" });
    expect(issues).toEqual([]);
    const [dev] = resolveReleases(repo);
    expect(dev!.unavailable).toMatch(/HTTP 503/);
  });

  it("prereleases only when a range asks for one", () => {
    const files = { ...baseFiles, "overlay.yaml": "" };
    const offered = { versions: [v("3.13.1"), v("3.14.0-rc.1")] };
    expect(resolveReleases(repoWith({ ...files, "app.yaml": APP(ENTRY) }, offered).repo)[0]!.chart.version).toBe("3.13.1");
    const rc = `    - { name: metrics, component: metrics-server, version: ">=3.14.0-rc.0" }`;
    expect(resolveReleases(repoWith({ ...files, "app.yaml": APP(rc), "overlay.yaml": "" }, offered).repo)[0]!.chart.version).toBe("3.14.0-rc.1");
  });

  it.each([
    ["traits on the entry", `    - { name: metrics, component: metrics-server, version: "^3.12.0", traits: { service: true } }`, /app.yaml:7:\d+ spec.components\[0\].traits: component "metrics-server" is a Helm chart: traits are switches of berth's generated charts; set the chart's own values under values/],
    ["replicas on the entry", `    - { name: metrics, component: metrics-server, version: "^3.12.0", replicas: 3 }`, /spec.components\[0\].replicas: .*often replicaCount/],
    ["no offered version in range", `    - { name: metrics, component: metrics-server, version: "^5.0.0" }`, /app.yaml:7:\d+ spec.components\[0\].version: no version of chart component "metrics-server" matches "\^5.0.0"; available: 3.13.1, 3.12.2 \(inside the Component's versions ">=3.12.0 <4"\)/],
  ])("refuses %s with file:line", (_name, entry, want) => {
    const { issues } = repoWith({ ...baseFiles, "app.yaml": APP(entry), "overlay.yaml": "" }, { versions: [v("3.12.2"), v("3.13.1"), v("4.0.0")] });
    expect(issues.join("\n")).toMatch(want);
  });

  it.each([
    ["a generated field", COMPONENT.replace("  values:", "  version: 1.0.0\n  values:"), /metrics.yaml:\d+:\d+ spec.version: a chart Component takes no spec.version: its versions are the chart versions/],
    ["an unknown repository", COMPONENT.replace("repository: sigs", "repository: bitnami"), /spec.chart.repository: no ChartRepository named "bitnami"; known: sigs/],
    ["both a repository and a path", COMPONENT.replace("repository: sigs,", "repository: sigs, path: charts/x,"), /spec.chart: needs exactly one of repository \(with name\)/],
    ["a path outside the repository", COMPONENT.replace("repository: sigs, name: metrics-server", "path: ../../etc"), /spec.chart.path: path "..\/..\/etc" leads outside the repository/],
  ])("refuses a chart Component with %s", (_name, component, want) => {
    const { issues } = repoWith({ ...baseFiles, "metrics.yaml": component, "app.yaml": APP(ENTRY) }, { versions: [v("3.13.1")] });
    expect(issues.join("\n")).toMatch(want);
  });

  it.each([
    ["credentials in the URL", "spec: { url: https://u:p@charts.example }", /spec.url: credentials never go in git/],
    ["an auth file spelled with $", "spec: { url: https://charts.example, auth: { usernameFile: $HOME/u, passwordFile: /etc/berth/p } }", /spec.auth.usernameFile: path "\$HOME\/u" has a "\$"/],
    ["insecure on https", "spec: { url: https://charts.example, insecure: true }", /spec.insecure: insecure \(plain HTTP\) is for oci:\/\/ registries/],
    ["a short interval", "spec: { url: oci://r.example/charts, interval: 1s }", /spec.interval: must be a duration of at least 10s/],
  ])("refuses a ChartRepository with %s", (_name, spec, want) => {
    const { issues } = repoWith({ ...baseFiles, "repo.yaml": REPO.replace(/spec: .*\n/, `${spec}\n`), "app.yaml": APP(ENTRY) }, { versions: [v("3.13.1")] });
    expect(issues.join("\n")).toMatch(want);
  });

  it("checks merged values against the chart's own schema, blaming the overlay that set them", () => {
    const pins = new Map([
      [chartPinKey({ repository: "sigs" }, "metrics-server", "3.12.2"), { digest: "sha256:3122", values: { replicas: 1 }, schema: { type: "object", properties: { replicas: { type: "integer", maximum: 1 } } } }],
      [chartPinKey({ repository: "sigs" }, "metrics-server", "3.13.1"), { digest: "sha256:3131", values: {} }],
    ]);
    const { repo } = repoWith({ ...baseFiles, "app.yaml": APP(ENTRY) }, { versions: [v("3.12.2"), v("3.13.1")] }, pins);
    const got = valuesIssues(repo).map(formatIssue);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatch(/^overlay.yaml:10:\d+ spec.components.metrics.values.replicas: .*1.*values.schema.json of chart metrics-server 3.12.2, release infra-metrics/);
  });
});
