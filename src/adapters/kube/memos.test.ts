// The memo store over in-memory ConfigMaps that answer as the API server does
// (404 on replacing a missing one, 409 on creating an existing one).
import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { memoStore } from "./memos.ts";
import { makeCall } from "./call.ts";

const status = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });

function memoryCore() {
  const maps = new Map<string, k8s.V1ConfigMap>();
  const calls: string[] = [];
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const core = {
    async listConfigMapForAllNamespaces() {
      calls.push("list");
      return { items: [...maps.values()] };
    },
    async replaceNamespacedConfigMap({ name, namespace, body }: { name: string; namespace: string; body: k8s.V1ConfigMap }) {
      calls.push("replace");
      if (!maps.has(key(namespace, name))) throw status(404);
      maps.set(key(namespace, name), { ...body, metadata: { ...body.metadata, namespace } });
      return body;
    },
    async createNamespacedConfigMap({ namespace, body }: { namespace: string; body: k8s.V1ConfigMap }) {
      calls.push("create");
      const name = body.metadata!.name!;
      if (maps.has(key(namespace, name))) throw status(409);
      maps.set(key(namespace, name), { ...body, metadata: { ...body.metadata, namespace } });
      return body;
    },
  };
  return { core: core as unknown as k8s.CoreV1Api, maps, calls };
}

describe("memo store", () => {
  it("a new release's memo is created in one request, then replaced", async () => {
    const { core, calls } = memoryCore();
    const store = memoStore(core, makeCall("east", 1_000));
    await store.writeMemo("shop", "api", { a: "1" });
    await store.writeMemo("shop", "api", { a: "2" });
    expect(calls).toEqual(["create", "replace"]);
    expect(await store.listMemos()).toEqual(new Map([["shop/api", { a: "2" }]]));
  });

  it("a listed memo is replaced in one request", async () => {
    const { core, calls } = memoryCore();
    await memoStore(core, makeCall("east", 1_000)).writeMemo("shop", "api", { a: "1" });
    const store = memoStore(core, makeCall("east", 1_000));
    await store.listMemos();
    calls.length = 0;
    await store.writeMemo("shop", "api", { a: "2" });
    expect(calls).toEqual(["replace"]);
  });

  it("a memo made by another replica since the last list is replaced after the create is refused; one deleted since is created again", async () => {
    const { core, calls, maps } = memoryCore();
    const store = memoStore(core, makeCall("east", 1_000));
    await store.listMemos();
    await memoStore(core, makeCall("east", 1_000)).writeMemo("shop", "api", { a: "other" });
    calls.length = 0;
    await store.writeMemo("shop", "api", { a: "mine" });
    expect(calls).toEqual(["create", "replace"]);
    maps.clear();
    calls.length = 0;
    await store.writeMemo("shop", "api", { a: "again" });
    expect(calls).toEqual(["replace", "create"]);
    expect(await store.listMemos()).toEqual(new Map([["shop/api", { a: "again" }]]));
  });
});
