import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { encodeRelease } from "./helm-storage.ts";
import { storageAdoption, storedRevision } from "./storage-adoption.ts";

const secret = (revision: number, status: string, payload: unknown): k8s.V1Secret => ({
  metadata: { name: `sh.helm.release.v1.web.v${revision}`, namespace: "shop", labels: { owner: "helm", name: "web", version: String(revision), status } },
  data: { release: encodeRelease(payload) },
});

const payload = (version: string) => ({
  name: "web",
  chart: { metadata: { name: "podinfo", version, appVersion: "6.0.0" } },
  manifest: `---\nkind: Deployment\nmetadata: { name: web }\n# ${version}\n`,
  config: { replicas: 2 },
});

function fakeCore(items: k8s.V1Secret[]) {
  const patches: Array<{ name: string; body: unknown }> = [];
  const selectors: string[] = [];
  const core = {
    async listNamespacedSecret({ labelSelector }: { labelSelector: string }) {
      selectors.push(labelSelector);
      return { items };
    },
    async patchNamespacedSecret({ name, body }: { name: string; body: unknown }) {
      patches.push({ name, body });
      return {};
    },
  } as unknown as k8s.CoreV1Api;
  return { adoption: storageAdoption(core, makeCall("east", 1_000)), patches, selectors };
}

describe("storageAdoption", () => {
  it("decodes every revision of a release, ascending, with the chart it ran, its manifest and values", async () => {
    const f = fakeCore([secret(2, "deployed", payload("1.1.0")), secret(1, "superseded", payload("1.0.0"))]);
    const revs = await f.adoption.readStoredRevisions("shop", "web");
    expect(f.selectors).toEqual(["owner=helm,name=web"]);
    expect(revs.map((r) => [r.revision, r.status, r.chart])).toEqual([
      [1, "superseded", { name: "podinfo", version: "1.0.0", appVersion: "6.0.0" }],
      [2, "deployed", { name: "podinfo", version: "1.1.0", appVersion: "6.0.0" }],
    ]);
    expect(revs[1]!.manifest).toContain("# 1.1.0");
    expect(revs[1]!.config).toEqual({ replicas: 2 });
  });

  it("a payload without chart or values still reads; a Secret without a release is skipped", () => {
    expect(storedRevision(secret(3, "failed", { name: "web" }))).toEqual({ revision: 3, status: "failed", manifest: "", config: {} });
    expect(storedRevision({ metadata: { labels: { version: "4" } } })).toBeUndefined();
  });

  it("merges labels into each revision's storage Secret, oldest first", async () => {
    const f = fakeCore([]);
    await f.adoption.labelReleaseStorage("shop", "web", new Map<number, Record<string, string>>([[2, { "berth.dev/managed": "true" }], [1, { "berth.dev/managed": "true", "berth.dev/version": "1.0.0" }]]));
    expect(f.patches).toEqual([
      { name: "sh.helm.release.v1.web.v1", body: { metadata: { labels: { "berth.dev/managed": "true", "berth.dev/version": "1.0.0" } } } },
      { name: "sh.helm.release.v1.web.v2", body: { metadata: { labels: { "berth.dev/managed": "true" } } } },
    ]);
  });
});
