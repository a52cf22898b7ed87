// applyObject sends what it is given: a stand-in API server keeps the body of
// each server-side apply. client-node serializes kinds it has a model of by
// the model's field names, which once dropped a CRD's x-kubernetes-* fields
// (gatekeeper's CRDs were then refused as invalid).
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKube } from "../kube.ts";

let server: Server;
let dir: string;
let kubeconfig: string;
const applied: { url: string; contentType: string; body: Record<string, unknown> }[] = [];

const resources = {
  "/apis/apiextensions.k8s.io/v1": { kind: "APIResourceList", groupVersion: "apiextensions.k8s.io/v1", resources: [{ name: "customresourcedefinitions", namespaced: false, kind: "CustomResourceDefinition", verbs: ["patch"] }] },
  "/apis/apps/v1": { kind: "APIResourceList", groupVersion: "apps/v1", resources: [{ name: "deployments", namespaced: true, kind: "Deployment", verbs: ["patch"] }] },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      res.setHeader("Content-Type", "application/json");
      const list = resources[req.url as keyof typeof resources];
      if (req.method === "GET" && list) return res.end(JSON.stringify(list));
      if (req.method === "PATCH") {
        applied.push({ url: req.url ?? "", contentType: String(req.headers["content-type"]), body: JSON.parse(text) as Record<string, unknown> });
        return res.end(text);
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code: 404 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), "berth-apply-"));
  kubeconfig = join(dir, "config");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]\nusers: [{ name: u, user: { token: t } }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\ncurrent-context: c\n`,
  );
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

// as gatekeeper's Assign CRD has it: a field of any shape, and one that is an int or a string
const crd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "assign.mutations.example.com", labels: { app: "x" } },
  spec: {
    group: "mutations.example.com",
    names: { kind: "Assign", plural: "assign" },
    scope: "Cluster",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: {
                  value: { "x-kubernetes-preserve-unknown-fields": true },
                  port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] },
                  items: { type: "array", items: { type: "string" }, "x-kubernetes-list-type": "set" },
                  ref: { $ref: "#/definitions/x" },
                },
              },
            },
          },
        },
      },
    ],
  },
};

describe("applyObject", () => {
  it("a CRD arrives as given: every x-kubernetes-* field and $ref kept, by server-side apply", async () => {
    applied.length = 0;
    await createKube({ cluster: "c", kubeconfigPath: kubeconfig }).applyObject(crd, { fieldManager: "berth", force: true });
    expect(applied).toHaveLength(1);
    expect(applied[0]!.url).toBe("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/assign.mutations.example.com?fieldManager=berth&force=true");
    expect(applied[0]!.contentType).toBe("application/apply-patch+yaml");
    expect(applied[0]!.body).toEqual(crd);
  });

  it("a Deployment too (correct-drift applies them)", async () => {
    applied.length = 0;
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api", namespace: "shop", labels: { "app.kubernetes.io/managed-by": "Helm" } },
      spec: { replicas: 2, selector: { matchLabels: { app: "api" } }, template: { metadata: { labels: { app: "api" } }, spec: { containers: [{ name: "api", image: "x:1" }] } } },
    };
    await createKube({ cluster: "c", kubeconfigPath: kubeconfig }).applyObject(deployment, { fieldManager: "berth-drift", force: true });
    expect(applied[0]!.url).toMatch(/^\/apis\/apps\/v1\/namespaces\/shop\/deployments\/api\?/);
    expect(applied[0]!.body).toEqual(deployment);
  });
});
