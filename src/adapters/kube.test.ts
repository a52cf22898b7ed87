import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { V1Secret } from "@kubernetes/client-node";
import { createKube, decodeRelease, encodeRelease, groupReleases, LABELS, loadKubeConfig } from "./kube.ts";

const secret = (ns: string, name: string, rev: number, status: string, extra: Record<string, string> = {}): V1Secret => ({
  metadata: { name: `sh.helm.release.v1.${name}.v${rev}`, namespace: ns, labels: { owner: "helm", name, version: String(rev), status, ...extra } },
});

describe("groupReleases", () => {
  it("groups storage secrets into releases with ascending revisions and berth's labels", () => {
    const owned = { [LABELS.managed]: "true", [LABELS.application]: "shop" };
    const r = groupReleases([
      secret("shop", "shop-api", 2, "deployed", { ...owned, [LABELS.digest]: "abc", [LABELS.version]: "1.1.0_build.5", [LABELS.prune]: "true" }),
      secret("shop", "shop-api", 1, "superseded", { ...owned, [LABELS.version]: "1.0.0" }),
      secret("other", "foreign", 1, "deployed"),
    ]);
    expect(r).toEqual([
      { name: "foreign", namespace: "other", managed: false, prune: false, revisions: [{ revision: 1, status: "deployed" }] },
      {
        name: "shop-api",
        namespace: "shop",
        managed: true,
        prune: true,
        application: "shop",
        revisions: [
          { revision: 1, status: "superseded", version: "1.0.0" },
          { revision: 2, status: "deployed", digest: "abc", version: "1.1.0+build.5" },
        ],
      },
    ]);
  });
});

describe("release storage encoding", () => {
  it("round-trips helm's base64(gzip(json)) inside secret data", () => {
    const rel = { name: "x", info: { status: "pending-upgrade" }, version: 3 };
    expect(decodeRelease(encodeRelease(rel))).toEqual(rel);
  });
});

describe("kubeconfig errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-kubeconfig-"));
  const path = join(dir, "config");
  writeFileSync(
    path,
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{ name: c, cluster: { server: https://127.0.0.1:1 } }]",
      "users: [{ name: u, user: { token: t } }]",
      "contexts: [{ name: east, context: { cluster: c, user: u } }]",
      "current-context: east",
    ].join("\n"),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names the contexts a kubeconfig has when the Cluster asks for another", () => {
    expect(() => loadKubeConfig({ cluster: "x", kubeconfigPath: path, context: "west" })).toThrow("context west is not in it; it has east");
    expect(loadKubeConfig({ cluster: "x", kubeconfigPath: path, context: "east" }).getCurrentContext()).toBe("east");
  });

  it("makes only that cluster unreachable, naming where its access is declared and what would be right", async () => {
    const kube = createKube({ cluster: "prod", kubeconfigPath: join(dir, "missing"), context: "east", declaredAt: "clusters/prod.yaml:5:3 spec.kubeconfig" });
    await expect(kube.ping()).rejects.toThrow(
      /clusters\/prod.yaml:5:3 spec.kubeconfig: cannot load kubeconfig .*missing \(context east\): ENOENT.*; set spec.kubeconfig.path to a readable kubeconfig/,
    );
  });
});

describe("credential plugins", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-kubeconfig-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, user: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{ name: c, cluster: { server: https://127.0.0.1:1 } }]",
        `users: [{ name: u, user: ${user} }, { name: other, user: { exec: { apiVersion: client.authentication.k8s.io/v1, command: touch } } }]`,
        "contexts: [{ name: east, context: { cluster: c, user: u } }, { name: west, context: { cluster: c, user: other } }]",
        "current-context: east",
      ].join("\n"),
    );
    return path;
  };

  it.each([
    ["exec", "{ exec: { apiVersion: client.authentication.k8s.io/v1, command: touch, args: [x] } }", /its user u runs an exec credential plugin .*--insecure-kubeconfig-exec/],
    ["a gcp auth-provider", "{ auth-provider: { name: gcp, config: { cmd-path: touch } } }", /its user u runs an auth-provider plugin .*gcp.*--insecure-kubeconfig-exec/],
  ])("refuses %s unless the operator allows it", (name, user, msg) => {
    const path = write(name, user);
    expect(() => loadKubeConfig({ cluster: "x", kubeconfigPath: path })).toThrow(msg);
    expect(loadKubeConfig({ cluster: "x", kubeconfigPath: path, allowExec: true }).getCurrentUser()?.name).toBe("u");
  });

  it("looks only at the user of the context berth uses; tokenFile (reads a file, runs nothing) is no plugin", () => {
    const path = write("token-file", "{ auth-provider: { name: tokenFile, config: { tokenFile: /dev/null } } }");
    expect(loadKubeConfig({ cluster: "x", kubeconfigPath: path }).getCurrentUser()?.name).toBe("u");
    expect(() => loadKubeConfig({ cluster: "x", kubeconfigPath: path, context: "west" })).toThrow(/its user other runs an exec credential plugin/);
  });
});
