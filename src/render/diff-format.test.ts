// The object diff in the text and markdown views (the rest of the views: diff.test.ts).
import { describe, expect, it } from "vitest";
import type { ReleaseChange, RenderDiff } from "./diff.ts";
import { formatMarkdown, formatText, summary } from "./diff-format.ts";
import { diffObjects, splitManifest } from "./manifest-diff.ts";

const dep = (replicas: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: shop-api }\nspec: { replicas: ${replicas} }\n`;
const svc = "---\napiVersion: v1\nkind: Service\nmetadata: { name: shop-api }\nspec: { type: ClusterIP }\n";
const cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: readme }\ndata: { README.md: \"```sh\\nrun\\n```\\n\" }\n";

function release(over: Partial<ReleaseChange>): ReleaseChange {
  return {
    key: "dev/shop/api",
    name: "shop-api",
    cluster: "dev",
    change: "changed",
    chart: { from: "webservice 1.0.0", to: "webservice 1.0.0" },
    version: { from: "3.0.6", to: "3.0.6", move: "none" },
    steps: [],
    upgrades: [],
    release: [],
    values: [{ path: "replicas", change: "changed", from: 1, to: 2 }],
    chartFiles: false,
    ...over,
  };
}

const objs = (t: string) => splitManifest(t, "shop");
const changed = release({ objects: diffObjects(objs(dep(1) + svc), objs(dep(2) + svc + cm)) });
const added = release({ key: "prod/shop/web", name: "shop-web", change: "added", values: [], chart: { to: "webservice 1.0.0" }, objects: diffObjects(undefined, objs(dep(1) + svc)) });
const failed = release({ key: "prod/shop/api", objects: { error: "head: helm template failed: boom" } });
const d: RenderDiff = { charts: [], releases: [changed, added, failed] };

describe("the object diff in the text view", () => {
  const text = formatText(d);

  it("is indented under its release, with each changed object's lines", () => {
    expect(text).toContain(
      [
        "  ~ dev/shop/api (shop-api) changed: values",
        "      values ~ replicas: 1 -> 2",
        "      objects: 1 changed, 1 added (1 unchanged)",
        "        + ConfigMap/shop/readme",
      ].join("\n"),
    );
    expect(text).toContain("        ~ Deployment/shop/shop-api\n            @@ -3,4 +3,4 @@\n");
    expect(text).toContain("            -  replicas: 1\n            +  replicas: 2\n");
  });

  it("a release added lists its objects without their lines", () => {
    expect(text).toContain("  + prod/shop/web (shop-web) added: webservice 1.0.0, component 3.0.6\n      objects: 2 added\n        + Deployment/shop/shop-api\n        + Service/shop/shop-api\n  ~");
  });

  it("a release not compared says why", () => {
    expect(text).toContain("      objects not compared: head: helm template failed: boom\n");
  });

  it("the summary counts objects", () => {
    expect(summary(d)).toBe("0 chart(s) changed; releases: 1 added, 0 removed, 2 changed; objects: 1 changed, 3 added");
    expect(summary({ charts: [], releases: [release({})] })).toBe("0 chart(s) changed; releases: 0 added, 0 removed, 1 changed");
  });
});

describe("the object diff in the markdown view", () => {
  const md = formatMarkdown(d);

  it("is one block per release under its application's Objects, after its releases; open when short", () => {
    expect(md).toContain("#### Objects\n\n<details><summary>~ dev/shop/api (shop-api): objects: 1 changed, 1 added (1 unchanged)</summary>\n");
    expect(md.indexOf("#### Objects")).toBeGreaterThan(md.indexOf("| ~ | `shop-api` | dev |"));
    expect(md).toContain("~ `Deployment/shop/shop-api` changed\n\n```diff\n@@ -3,4 +3,4 @@\n");
    expect(md).toContain("<details open><summary>+ prod/shop/web (shop-web): objects: 2 added</summary>\n\n- `Deployment/shop/shop-api` added\n- `Service/shop/shop-api` added\n\n</details>");
    expect(md).toContain("<details open><summary>~ prod/shop/api (shop-api): objects not compared: head: helm template failed: boom</summary>\n\n</details>");
    expect(md.split("<details").length).toBe(md.split("</details>").length);
  });

  it("a long block starts collapsed", () => {
    const many = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: big }\ndata:\n${Array.from({ length: 30 }, (_, i) => `  k${i}: v${i}\n`).join("")}`;
    const big = release({ objects: diffObjects(objs(many), objs(many.replaceAll(": v", ": w"))) });
    expect(formatMarkdown({ charts: [], releases: [big] })).toContain("<details><summary>~ dev/shop/api (shop-api): objects: 1 changed</summary>");
  });

  it("a fence longer than any backtick run inside", () => {
    expect(md).toContain("+ `ConfigMap/shop/readme` added\n\n````diff\n");
  });

  it("without objects, no Objects section", () => {
    expect(formatMarkdown({ charts: [], releases: [release({})] })).not.toContain("Objects");
  });
});

describe("a release whose chart files alone changed", () => {
  const r = release({ values: [], chartFiles: true });

  it("says so", () => {
    expect(formatText({ charts: [], releases: [r] })).toContain("~ dev/shop/api (shop-api) changed: chart webservice 1.0.0 files\n");
    const md = formatMarkdown({ charts: [], releases: [r] });
    expect(md).toContain("<details open><summary>dev/shop/api: 0 change(s), chart webservice 1.0.0 files changed</summary>\n\n</details>");
    expect(md).not.toContain("```diff\n```");
  });
});
