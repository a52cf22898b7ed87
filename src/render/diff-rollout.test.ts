// The rollout order of a diff (diff-rollout.ts) and its mermaid flowchart (diff-mermaid.ts).
import { describe, expect, it } from "vitest";
import type { Application, Cluster, ReleaseSpec, Rollout } from "../model/types.ts";
import { spec } from "../plan/test-specs.ts";
import type { ReleaseChange, RenderDiff } from "./diff.ts";
import { rolloutMermaid } from "./diff-mermaid.ts";
import { rolloutOrder } from "./diff-rollout.ts";

const cluster = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } }) as unknown as Cluster;
const app = (name: string, rollout?: Rollout) =>
  ({ metadata: { name }, spec: { namespace: name, components: [], placement: { clusterSelector: { env: "prod" }, ...(rollout ? { rollout } : {}) } } }) as unknown as Application;
const clusters = [cluster("hk", { env: "prod", region: "ap" }), cluster("eu1", { env: "prod", region: "eu" }), cluster("eu2", { env: "prod", region: "eu" }), cluster("us", { env: "prod" })];

/** shop's db <- api <- web on every cluster (web also needs db), and an unrelated application `ops`. */
function releases(over: (r: ReleaseSpec) => ReleaseSpec = (r) => r): ReleaseSpec[] {
  return clusters.flatMap((c) => [
    spec("shop-db", { cluster: c.metadata.name }),
    spec("shop-api", { cluster: c.metadata.name, dependsOn: ["shop-db"] }),
    spec("shop-web", { cluster: c.metadata.name, dependsOn: ["shop-api", "shop-db"] }),
    spec("ops-agent", { cluster: c.metadata.name }),
  ]).map(over);
}

const changed = (key: string, change: ReleaseChange["change"] = "changed"): ReleaseChange => ({
  key,
  name: "x",
  cluster: key.split("/")[0] as string,
  change,
  chart: {},
  version: { move: "none" },
  steps: [],
  upgrades: [],
  release: [],
  values: [],
  chartFiles: false,
});
const diff = (...r: ReleaseChange[]): RenderDiff => ({ charts: [], releases: r });
const waves = { waves: [{ clusters: ["hk"] }, { clusterSelector: { region: "eu" }, soak: "10m" }, { clusters: ["us"], approval: "manual" as const }] };

describe("rolloutOrder", () => {
  it("only the applications the diff adds or changes a release of, with their waves and each wave's levels", () => {
    const order = rolloutOrder({ applications: [app("shop", waves), app("ops")], clusters }, releases(), diff(changed("eu1/shop/api")));
    expect(order).toHaveLength(1);
    const [shop] = order;
    expect(shop!.application).toBe("shop");
    expect(shop!.wait).toBe("healthy");
    expect(shop!.waves.map((w) => [w.index, w.clusters, w.soak, w.approval])).toEqual([
      [1, ["hk"], undefined, undefined],
      [2, ["eu1", "eu2"], "10m", undefined],
      [3, ["us"], undefined, "manual"],
    ]);
    // the application's own releases, by level; a level lists its releases by name
    expect(shop!.waves[0]!.groups).toEqual([{ clusters: ["hk"], levels: [[{ name: "shop-db" }], [{ name: "shop-api" }], [{ name: "shop-web" }]] }]);
  });

  it("clusters of a wave with the same levels and the same changes are one group; different ones are not", () => {
    const order = rolloutOrder({ applications: [app("shop", waves)], clusters }, releases(), diff(changed("eu1/shop/api"), changed("hk/shop/api"), changed("eu2/shop/web", "added")));
    const eu = order[0]!.waves[1]!.groups;
    expect(eu.map((g) => g.clusters)).toEqual([["eu1"], ["eu2"]]);
    expect(eu[0]!.levels[1]).toEqual([{ name: "shop-api", change: "changed" }]);
    expect(eu[1]!.levels[2]).toEqual([{ name: "shop-web", change: "added" }]);
  });

  it("a release the diff removes does not make its application drawn; a wave with no release of it is left out", () => {
    expect(rolloutOrder({ applications: [app("shop", waves)], clusters }, releases(), diff(changed("eu1/shop/api", "removed")))).toEqual([]);
    const noUs = releases().filter((r) => r.cluster !== "us");
    expect(rolloutOrder({ applications: [app("shop", waves)], clusters }, noUs, diff(changed("hk/shop/api")))[0]!.waves.map((w) => w.index)).toEqual([1, 2]);
  });
});

describe("rolloutMermaid", () => {
  it("draws each application's waves left to right, what each waits for on the edge, and its levels; the changed outlined", () => {
    const order = rolloutOrder({ applications: [app("shop", waves)], clusters }, releases(), diff(changed("eu1/shop/api"), changed("eu2/shop/api"), changed("us/shop/web", "added")));
    expect(rolloutMermaid(order)).toBe(
      [
        "flowchart LR",
        '  subgraph a1["shop"]',
        "    direction LR",
        '    subgraph a1w1["wave 1: hk"]',
        "      direction LR",
        '      a1w1g1l0["shop-db"] --> a1w1g1l1["shop-api"] --> a1w1g1l2["shop-web"]',
        "    end",
        '    subgraph a1w2["wave 2: eu1, eu2"]',
        "      direction LR",
        '      a1w2g1l0["shop-db"] --> a1w2g1l1["~ shop-api"] --> a1w2g1l2["shop-web"]',
        "    end",
        '    subgraph a1w3["wave 3: us"]',
        "      direction LR",
        '      a1w3g1l0["shop-db"] --> a1w3g1l1["shop-api"] --> a1w3g1l2["+ shop-web"]',
        "    end",
        '    a1w1 -->|"healthy, soak 10m"| a1w2',
        '    a1w2 -->|"healthy, manual approval"| a1w3',
        "  end",
        "  classDef changed stroke-width:3px,stroke:#d97706",
        "  class a1w2g1l1,a1w3g1l2 changed",
        "",
      ].join("\n"),
    );
  });

  it("clusters that differ inside a wave get a box each; a level of several releases lists them; wait: none and a first wave's gate are said", () => {
    const rollout: Rollout = { wait: "none", waves: [{ clusters: ["hk"], approval: "manual" }, { clusterSelector: { region: "eu" } }] };
    const rs = releases((r) => (r.name === "shop-web" ? { ...r, dependsOn: ["shop-db"] } : r));
    const text = rolloutMermaid(rolloutOrder({ applications: [app("shop", rollout)], clusters }, rs, diff(changed("eu2/shop/db"))));
    expect(text).toContain('    subgraph a1w1["wave 1: hk (manual approval)"]');
    expect(text).toContain('      subgraph a1w2g1["eu1"]\n        direction LR\n        a1w2g1l0["shop-db"] --> a1w2g1l1["shop-api<br/>shop-web"]\n      end');
    expect(text).toContain('      subgraph a1w2g2["eu2"]\n        direction LR\n        a1w2g2l0["~ shop-db"] --> a1w2g2l1["shop-api<br/>shop-web"]\n      end');
    expect(text).toContain('    a1w1 -->|"no wait"| a1w2');
    expect(text).toContain('    a1w2 -->|"no wait"| a1w3');
  });

  it("a quote in a name cannot end a label", () => {
    const text = rolloutMermaid([{ application: 'a"b', wait: "healthy", waves: [{ index: 1, clusters: ["c"], groups: [{ clusters: ["c"], levels: [[{ name: "r" }]] }] }] }]);
    expect(text).toContain('subgraph a1["a#quot;b"]');
  });
});
