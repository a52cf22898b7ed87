import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { adoptedStore, keptRelease, MAX_ADOPTED_CHARS, type AdoptedRelease } from "./adopted-store.ts";
import { makeCall } from "./call.ts";

function fakeCore() {
  const secrets = new Map<string, k8s.V1Secret>();
  const writes: string[] = [];
  const core = {
    async readNamespacedSecret({ name, namespace }: { name: string; namespace: string }) {
      const s = secrets.get(`${namespace}/${name}`);
      if (!s) throw Object.assign(new Error("NotFound"), { code: 404 });
      return s;
    },
    async createNamespacedSecret({ namespace, body }: { namespace: string; body: k8s.V1Secret }) {
      writes.push("create");
      secrets.set(`${namespace}/${body.metadata!.name}`, body);
      return body;
    },
    async replaceNamespacedSecret({ name, namespace, body }: { name: string; namespace: string; body: k8s.V1Secret }) {
      writes.push("replace");
      secrets.set(`${namespace}/${name}`, body);
      return body;
    },
  } as unknown as k8s.CoreV1Api;
  return { store: adoptedStore(core, makeCall("east", 1_000)), secrets, writes };
}

const old = (manifest: string, values: Record<string, unknown> = { password: "hunter2" }): AdoptedRelease => ({
  revision: 3,
  status: "deployed",
  chart: { name: "podinfo", version: "6.0.0" },
  manifest,
  values,
});

describe("adoptedStore", () => {
  it("keeps the old manifest and values in berth-adopted-<release>, a labelled Secret, and reads them back", async () => {
    const f = fakeCore();
    expect(await f.store.readAdopted("shop", "web")).toBeUndefined();
    expect(await f.store.keepAdopted("shop", "web", old("kind: Deployment\n"))).toEqual({ secret: "berth-adopted-web", truncated: false });
    const s = f.secrets.get("shop/berth-adopted-web")!;
    expect(s.type).toBe("Opaque");
    expect(s.metadata!.labels).toEqual({ "berth.dev/managed": "true", "berth.dev/release": "web" });
    const kept = await f.store.readAdopted("shop", "web");
    expect(kept).toMatchObject({ revision: 3, status: "deployed", chart: { name: "podinfo", version: "6.0.0" }, manifest: "kind: Deployment\n" });
    expect(JSON.parse(kept!.values)).toEqual({ password: "hunter2" });
    // a second replacement of the same name keeps the newer one
    await f.store.keepAdopted("shop", "web", old("kind: StatefulSet\n"));
    expect(f.writes).toEqual(["create", "replace"]);
    expect((await f.store.readAdopted("shop", "web"))!.manifest).toBe("kind: StatefulSet\n");
  });

  it.each<[string, number, number, boolean]>([
    ["small: kept whole", 1_000, 100, false],
    ["a long manifest: its tail is cut", MAX_ADOPTED_CHARS * 2, 100, true],
    ["long values: cut to half, the manifest gets the rest", MAX_ADOPTED_CHARS, MAX_ADOPTED_CHARS, true],
  ])("bounded: %s", (_, manifestChars, valueChars, truncated) => {
    const k = keptRelease(old("m".repeat(manifestChars), { v: "x".repeat(valueChars) }), "2026-01-01T00:00:00Z");
    expect(k.truncated === true).toBe(truncated);
    expect(k.manifest.length + k.values.length).toBeLessThanOrEqual(MAX_ADOPTED_CHARS + 100);
    if (!truncated) expect(k.manifest).toBe("m".repeat(manifestChars));
  });
});
