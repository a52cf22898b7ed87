import { describe, expect, it } from "vitest";
import type { V1Secret } from "@kubernetes/client-node";
import { decodeRelease, encodeRelease, groupReleases, LABELS } from "./kube.ts";

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
