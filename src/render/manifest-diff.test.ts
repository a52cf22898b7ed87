import { describe, expect, it } from "vitest";
import { diffObjects, objectCounts, objectPatch, redactSecrets, splitManifest, REDACTED, REDACTED_CHANGED } from "./manifest-diff.ts";

const deployment = (replicas: number, image = "api:1") => `---
# Source: webservice/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
  labels: { app: api }
spec:
  replicas: ${replicas}
  template:
    spec:
      containers:
        - name: api
          image: ${image}
`;

const service = `---
# Source: webservice/templates/service.yaml
kind: Service
apiVersion: v1
metadata: { name: shop-api }
spec: { ports: [{ port: 80 }] }
`;

const secret = (password: string, extra = "") => `---
apiVersion: v1
kind: Secret
metadata: { name: db }
data:
  password: ${password}
  user: YWRtaW4=
${extra}`;

describe("splitManifest", () => {
  it.each([
    { name: "objects by kind/namespace/name, release namespace filled in", text: deployment(1) + service, labels: ["Deployment/shop/shop-api", "Service/shop/shop-api"] },
    { name: "an explicit namespace wins", text: "kind: ConfigMap\napiVersion: v1\nmetadata: { name: c, namespace: other }\n", labels: ["ConfigMap/other/c"] },
    { name: "cluster-scoped kinds have no namespace", text: "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: { name: r }\n", labels: ["ClusterRole/r"] },
    { name: "empty and comment-only documents are skipped", text: "---\n# Source: x.yaml\n---\n\n---\n" + service, labels: ["Service/shop/shop-api"] },
    {
      name: "a List is split into its items",
      text: "kind: List\napiVersion: v1\nmetadata: { name: l }\nitems:\n  - { kind: ConfigMap, apiVersion: v1, metadata: { name: a } }\n  - { kind: ConfigMap, apiVersion: v1, metadata: { name: b } }\n",
      labels: ["ConfigMap/shop/a", "ConfigMap/shop/b"],
    },
    { name: "the same object twice is kept, numbered", text: service + service, labels: ["Service/shop/shop-api", "Service/shop/shop-api (#2)"] },
  ])("$name", ({ text, labels }) => {
    expect(splitManifest(text, "shop").map((o) => o.label)).toEqual(labels);
  });

  it("matches across an apiVersion move in the same group, not across groups", () => {
    const [a] = splitManifest("kind: HorizontalPodAutoscaler\napiVersion: autoscaling/v2beta2\nmetadata: { name: h }\n", "ns");
    const [b] = splitManifest("kind: HorizontalPodAutoscaler\napiVersion: autoscaling/v2\nmetadata: { name: h }\n", "ns");
    const [c] = splitManifest("kind: HorizontalPodAutoscaler\napiVersion: other.example.com/v1\nmetadata: { name: h }\n", "ns");
    expect(a!.key).toBe(b!.key);
    expect(a!.key).not.toBe(c!.key);
  });

  it("refuses YAML that does not parse", () => {
    expect(() => splitManifest("kind: [unclosed\n", "ns")).toThrow(/not valid YAML/);
  });
});

describe("diffObjects", () => {
  const objs = (text: string) => splitManifest(text, "shop");

  it("key order, comments and flow/block style are no change", () => {
    const reordered = `# another comment
kind: Deployment
apiVersion: apps/v1
spec:
  template: { spec: { containers: [{ image: "api:1", name: api }] } }
  replicas: 1
metadata: { labels: { app: api }, name: shop-api }
`;
    expect(diffObjects(objs(deployment(1)), objs(reordered))).toEqual({ changes: [], unchanged: 1 });
  });

  it("a changed object has a unified diff of its fields; added and removed objects are whole", () => {
    const d = diffObjects(objs(deployment(1) + service), objs(deployment(2, "api:2") + "---\nkind: ConfigMap\napiVersion: v1\nmetadata: { name: cfg }\n"));
    expect(d.unchanged).toBe(0);
    expect(d.changes.map((c) => [c.change, c.label])).toEqual([
      ["added", "ConfigMap/shop/cfg"],
      ["changed", "Deployment/shop/shop-api"],
      ["removed", "Service/shop/shop-api"],
    ]);
    const dep = d.changes[1]!.patch;
    expect(dep).toContain("-  replicas: 1\n+  replicas: 2");
    expect(dep).toContain("-        - image: api:1\n+        - image: api:2");
    expect(dep).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@/);
    expect(d.changes[0]!.patch).toContain("+kind: ConfigMap");
    expect(d.changes[2]!.patch).toContain("-kind: Service");
    expect(objectCounts(d.changes)).toBe("1 changed, 1 added, 1 removed");
  });

  it("a release added or removed: every object on its side", () => {
    expect(diffObjects(undefined, objs(service)).changes.map((c) => c.change)).toEqual(["added"]);
    expect(diffObjects(objs(service), undefined).changes.map((c) => c.change)).toEqual(["removed"]);
  });

  it("a Secret's data never shows; the changed key says so", () => {
    const d = diffObjects(objs(secret("czNjcjN0")), objs(secret("bjN3cGFzcw==", "stringData:\n  token: plain-text-token\n")));
    expect(d.changes).toHaveLength(1);
    const p = d.changes[0]!.patch;
    expect(p).not.toMatch(/czNjcjN0|bjN3cGFzcw|YWRtaW4|plain-text-token/);
    expect(p).toContain(`-  password: ${REDACTED}\n+  password: ${REDACTED_CHANGED}`);
    expect(p).toContain(`   user: ${REDACTED}`);
    expect(p).toContain(`+  token: ${REDACTED}`);
  });

  it("a Secret that only changed in its data is still a change", () => {
    expect(diffObjects(objs(secret("YQ==")), objs(secret("Yg=="))).changes).toHaveLength(1);
    expect(diffObjects(objs(secret("YQ==")), objs(secret("YQ=="))).changes).toHaveLength(0);
  });

  it("an added Secret shows its keys, not its values", () => {
    const p = diffObjects(undefined, objs(secret("czNjcjN0"))).changes[0]!.patch;
    expect(p).toContain(`+  password: ${REDACTED}`);
    expect(p).not.toContain("czNjcjN0");
  });

  it("a ConfigMap's multi-line data diffs line by line", () => {
    const cm = (v: string) => `kind: ConfigMap\napiVersion: v1\nmetadata: { name: c }\ndata:\n  app.yaml: |\n    a: 1\n    b: ${v}\n    c: 3\n`;
    const p = diffObjects(objs(cm("2")), objs(cm("20"))).changes[0]!.patch;
    expect(p).toContain("-    b: 2\n+    b: 20");
  });
});

describe("redactSecrets", () => {
  it.each([
    { name: "same value", a: { data: { k: "x" } }, b: { data: { k: "x" } }, ra: { k: REDACTED }, rb: { k: REDACTED } },
    { name: "changed value", a: { data: { k: "x" } }, b: { data: { k: "y" } }, ra: { k: REDACTED }, rb: { k: REDACTED_CHANGED } },
    { name: "added key", a: { data: {} }, b: { data: { k: "y" } }, ra: {}, rb: { k: REDACTED } },
    { name: "data not a map", a: { data: "x" }, b: { data: "y" }, ra: REDACTED, rb: REDACTED_CHANGED },
  ])("$name", ({ a, b, ra, rb }) => {
    const [x, y] = redactSecrets(a, b);
    expect(x!.data).toEqual(ra);
    expect(y!.data).toEqual(rb);
  });
});

describe("objectPatch", () => {
  it("hunk lines count from the object's first line after the common head is cut", () => {
    const before = Array.from({ length: 200 }, (_, i) => `l${i}`).join("\n") + "\n";
    const after = before.replace("l150\n", "L150\n");
    expect(objectPatch(before, after).patch).toBe("@@ -148,7 +148,7 @@\n l147\n l148\n l149\n-l150\n+L150\n l151\n l152\n l153\n");
  });

  it("a huge rewrite is not diffed line by line", () => {
    const big = (p: string) => Array.from({ length: 3000 }, (_, i) => `${p}${i}`).join("\n");
    expect(objectPatch(big("a"), big("b"))).toEqual({ patch: "", note: "too large for a line diff (3000 -> 3000 lines)" });
  });
});
