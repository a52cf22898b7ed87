import { describe, expect, it } from "vitest";
import type { Application, Cluster, Placement } from "../types.ts";
import { makeContext, type Docs } from "./context.ts";
import { releaseNameRules } from "./release-names.ts";

// Line = the entry's index + 10, so a message's location says which entry it is at.
const originOf = (file: string) => ({
  file,
  pos: (path: ReadonlyArray<string | number>) => ({ line: typeof path[2] === "number" ? path[2] + 10 : 1, col: 7 }),
});
const cluster = (name: string, labels: Record<string, string> = {}): Cluster => ({
  apiVersion: "berth.dev/v1alpha1",
  kind: "Cluster",
  metadata: { name, labels },
  spec: {},
  origin: originOf(`clusters/${name}.yaml`),
});
const app = (name: string, namespace: string, entries: string[], placement?: Placement): Application => ({
  apiVersion: "berth.dev/v1alpha1",
  kind: "Application",
  metadata: { name },
  spec: { namespace, components: entries.map((e) => ({ name: e, component: e, version: "^1.0.0" })), ...(placement ? { placement } : {}) },
  origin: originOf(`apps/${name}.yaml`),
});
// Only what this rule reads; other kinds' lists come and go as the model grows.
const docs = (applications: Application[], clusters: Cluster[]) =>
  ({ components: [], applications, overlays: [], clusters, workloads: [], traits: [], projects: [], charts: [], chartRepositories: [] }) as unknown as Docs;

const both = [cluster("east", { env: "prod" }), cluster("west", { env: "dev" })];

describe("release names unique per cluster", () => {
  it.each<[string, Application[], Cluster[], string[]]>([
    [
      "a + b-web and a-b + web in one namespace collide on every cluster",
      [app("a", "x", ["b-web"]), app("a-b", "x", ["web"])],
      both,
      [
        'apps/a.yaml:10 application "a" entry "b-web" and application "a-b" entry "web" (apps/a-b.yaml:10:7) both render release "a-b-web" on clusters east, west (both in namespace x)',
        'apps/a-b.yaml:10 application "a-b" entry "web" and application "a" entry "b-web" (apps/a.yaml:10:7) both render release "a-b-web" on clusters east, west (both in namespace x)',
      ],
    ],
    [
      "only the shared cluster is named",
      [app("a", "x", ["b-web"], { clusters: ["east"] }), app("a-b", "x", ["web"])],
      both,
      [
        'apps/a.yaml:10 application "a" entry "b-web" and application "a-b" entry "web" (apps/a-b.yaml:10:7) both render release "a-b-web" on cluster east (both in namespace x)',
        'apps/a-b.yaml:10 application "a-b" entry "web" and application "a" entry "b-web" (apps/a.yaml:10:7) both render release "a-b-web" on cluster east (both in namespace x)',
      ],
    ],
    [
      "another namespace on the same cluster still collides (berth plans a cluster by release name)",
      [app("a", "x", ["api", "b-web"], { clusterSelector: { env: "prod" } }), app("a-b", "y", ["web"], { clusters: ["east"] })],
      both,
      [
        'apps/a.yaml:11 application "a" entry "b-web" and application "a-b" entry "web" (apps/a-b.yaml:10:7) both render release "a-b-web" on cluster east (in namespaces x and y; berth names releases uniquely per cluster)',
        'apps/a-b.yaml:10 application "a-b" entry "web" and application "a" entry "b-web" (apps/a.yaml:11:7) both render release "a-b-web" on cluster east (in namespaces y and x; berth names releases uniquely per cluster)',
      ],
    ],
    ["disjoint placements never meet", [app("a", "x", ["b-web"], { clusters: ["east"] }), app("a-b", "x", ["web"], { clusterSelector: { env: "dev" } })], both, []],
    ["no cluster at all places nothing", [app("a", "x", ["b-web"]), app("a-b", "x", ["web"])], [], []],
    ["different names do not collide", [app("a", "x", ["web"]), app("a-b", "x", ["web"])], both, []],
    // the duplicate-entry rule reports this one
    ["one application's repeated entry is not this rule's", [app("a", "x", ["web", "web"])], both, []],
  ])("%s", (_n, applications, clusters, want) => {
    const issues = releaseNameRules(makeContext(docs(applications, clusters)));
    const got = issues.map((i) => `${i.file}:${i.line} ${i.message}`);
    expect(got.map((m) => m.replace(/, and only one would be applied; .*$/, ""))).toEqual(want);
    for (const i of issues) {
      expect(i.path).toMatch(/^spec\.components\[\d+\]\.name$/);
      expect(i.message).toMatch(/rename one of the two entries so that `<application>-<entry>` differs$/);
    }
  });
});
