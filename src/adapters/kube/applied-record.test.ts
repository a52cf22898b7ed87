// The berth-applied record over an in-memory ConfigMap: written when the
// revision or the replica changes, left alone on a pass that changes nothing.
import { describe, expect, it } from "vitest";
import { readApplied, writeApplied } from "./applied-record.ts";

function memoryKube() {
  const objects = new Map<string, Record<string, unknown>>();
  const calls = { get: 0, apply: 0, ensureNamespace: 0 };
  return {
    calls,
    kube: {
      async getObject(_v: string, _k: string, ns: string, name: string) {
        calls.get++;
        return objects.get(`${ns}/${name}`);
      },
      async applyObject(obj: Record<string, unknown>) {
        calls.apply++;
        const m = obj.metadata as { namespace: string; name: string };
        objects.set(`${m.namespace}/${m.name}`, obj);
        return obj;
      },
      async ensureNamespace() {
        calls.ensureNamespace++;
      },
    } as unknown as Parameters<typeof writeApplied>[0],
  };
}

describe("berth-applied", () => {
  it("the first write makes the namespace and stores revision, replica and since", async () => {
    const { kube, calls } = memoryKube();
    await writeApplied(kube, { revision: "abc", replica: "replica-a", at: new Date("2026-12-03T00:00:00Z") });
    expect(calls).toEqual({ get: 1, apply: 1, ensureNamespace: 1 });
    expect(await readApplied(kube)).toEqual({ revision: "abc", replica: "replica-a", since: "2026-12-03T00:00:00.000Z" });
  });

  it("the same revision by the same replica: read, not written, and since stays", async () => {
    const { kube, calls } = memoryKube();
    await writeApplied(kube, { revision: "abc", replica: "replica-a", at: new Date("2026-12-03T00:00:00Z") });
    const again = await writeApplied(kube, { revision: "abc", replica: "replica-a", at: new Date("2026-12-03T01:00:00Z") });
    expect(calls.apply).toBe(1);
    expect(again.since).toBe("2026-12-03T00:00:00.000Z");
  });

  it("a new revision, or the same one by another replica (a shard taken over): written with a new since", async () => {
    const { kube, calls } = memoryKube();
    await writeApplied(kube, { revision: "abc", replica: "replica-a", at: new Date("2026-12-03T00:00:00Z") });
    await writeApplied(kube, { revision: "abc", replica: "replica-b", at: new Date("2026-12-03T01:00:00Z") });
    expect(await readApplied(kube)).toEqual({ revision: "abc", replica: "replica-b", since: "2026-12-03T01:00:00.000Z" });
    await writeApplied(kube, { revision: "def", replica: "replica-b", at: new Date("2026-12-03T02:00:00Z") });
    expect(await readApplied(kube)).toEqual({ revision: "def", replica: "replica-b", since: "2026-12-03T02:00:00.000Z" });
    expect(calls.apply).toBe(3);
    expect(calls.ensureNamespace).toBe(1);
  });
});
