import { describe, expect, it } from "vitest";
import type { ReleaseProject } from "../model/types.ts";
import { describeViolations, kindKey, kindsToDiscover, scopeViolations } from "./project-scope.ts";

const project: ReleaseProject = { name: "shop-team", namespaces: ["shop", "shop-*"], clusterScoped: ["ClusterRole"] };

const doc = (kind: string, name: string, namespace?: string, extra = "") =>
  `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ""}${extra}`;

describe("scopeViolations", () => {
  it.each<[string, string, string[]]>([
    ["namespaced objects without a namespace go to the release's", doc("Deployment", "api") + "---\n" + doc("Service", "api"), []],
    ["a namespace the globs match", doc("ConfigMap", "c", "shop-cache"), []],
    ["a namespace outside the globs", doc("ConfigMap", "c", "kube-system"), ["ConfigMap/kube-system/c"]],
    ["a glob matches the whole name only", doc("ConfigMap", "c", "myshop"), ["ConfigMap/myshop/c"]],
    ["an allowed cluster-scoped kind", doc("ClusterRole", "reader"), []],
    ["a cluster-scoped kind the Project does not allow", doc("ClusterRoleBinding", "grant-all"), ["ClusterRoleBinding/grant-all"]],
    ["a cluster-scoped kind is refused even with a namespace set", doc("Namespace", "other", "shop"), ["Namespace/other"]],
    ["a webhook configuration", doc("ValidatingWebhookConfiguration", "hook"), ["ValidatingWebhookConfiguration/hook"]],
    ["a CRD the chart ships (crds/)", doc("CustomResourceDefinition", "widgets.example.com"), ["CustomResourceDefinition/widgets.example.com"]],
    [
      "a List's items are checked one by one",
      "apiVersion: v1\nkind: List\nitems:\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: a, namespace: default } }\n  - { apiVersion: v1, kind: ConfigMap, metadata: { name: b } }\n",
      ["ConfigMap/default/a"],
    ],
    ["empty documents and comments are skipped", "---\n# only a comment\n---\n" + doc("Secret", "s"), []],
  ])("%s", (_name, manifest, want) => {
    expect(scopeViolations(manifest, project, "shop").map((v) => v.object)).toEqual(want);
  });

  it("a kind the chart's own CRD declares cluster-scoped counts as cluster-scoped", () => {
    const crd = doc("CustomResourceDefinition", "widgets.example.com", undefined, "spec:\n  scope: Cluster\n  names: { kind: Widget }\n");
    const allowCrds: ReleaseProject = { ...project, clusterScoped: ["CustomResourceDefinition"] };
    const v = scopeViolations(`${crd}---\n${doc("Widget", "w1")}`, allowCrds, "shop");
    expect(v.map((x) => x.object)).toEqual(["Widget/w1"]);
    // a namespaced CRD's objects are checked by namespace instead
    const namespaced = crd.replace("scope: Cluster", "scope: Namespaced");
    expect(scopeViolations(`${namespaced}---\n${doc("Widget", "w1")}`, allowCrds, "shop")).toEqual([]);
  });

  it("kinds no list knows are asked of the cluster, and a cluster-scoped answer counts", () => {
    const issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: { name: letsencrypt }\n";
    const widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w1 }\n";
    const crd = doc("CustomResourceDefinition", "widgets.example.com", undefined, "spec:\n  scope: Cluster\n  names: { kind: Widget }\n");
    const gatewayClass = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: { name: gc }\n";
    const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\n";
    const manifest = [issuer, issuer.replace("letsencrypt", "other"), doc("ConfigMap", "c"), deployment, widget, crd, gatewayClass].join("---\n");
    // built-in groups and the chart's own CRD kinds need no question; each kind is asked once
    expect(kindsToDiscover(manifest)).toEqual([
      { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer" },
      { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass" },
    ]);
    const allowCrds: ReleaseProject = { ...project, clusterScoped: ["CustomResourceDefinition"] };
    expect(scopeViolations(manifest, allowCrds, "shop").map((v) => v.object)).toEqual(["Widget/w1"]);
    expect(scopeViolations(manifest, allowCrds, "shop", new Set([kindKey("cert-manager.io/v1", "ClusterIssuer")])).map((v) => v.object)).toEqual([
      "ClusterIssuer/letsencrypt",
      "ClusterIssuer/other",
      "Widget/w1",
    ]);
  });

  it("a release namespace outside the globs refuses its unqualified objects", () => {
    expect(scopeViolations(doc("Deployment", "api"), project, "default").map((v) => v.object)).toEqual(["Deployment/default/api"]);
  });

  it("the reason names the object, the Project and what it allows", () => {
    const none: ReleaseProject = { ...project, clusterScoped: [] };
    const reason = describeViolations(none, scopeViolations(doc("ClusterRoleBinding", "grant-all"), none, "shop"));
    expect(reason).toContain("Project shop-team");
    expect(reason).toContain("ClusterRoleBinding grant-all is cluster-scoped");
    expect(reason).toContain("cluster-scoped kinds: none (spec.clusterScoped)");
  });

  it("a long list of violations is cut, with the count of the rest", () => {
    const many = Array.from({ length: 8 }, (_, i) => doc("ConfigMap", `c${i}`, "default")).join("---\n");
    const reason = describeViolations(project, scopeViolations(many, project, "shop"));
    expect(reason).toContain("ConfigMap c4 ");
    expect(reason).not.toContain("ConfigMap c5 ");
    expect(reason).toContain("and 3 more");
  });
});
