import type * as k8s from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { makeCall } from "./call.ts";
import { MAX_STEP_LOG_CHARS, MAX_STEP_LOGS, stepLogStore } from "./step-logs.ts";

// Secrets by namespace/name, as the API server keeps them; a missing one reads 404.
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
  return { store: stepLogStore(core, makeCall("east", 1_000)), secrets, writes };
}

describe("stepLogStore", () => {
  it("keeps each Job's logs in one labelled Secret per release, the tail of each, the newest jobs", async () => {
    const f = fakeCore();
    expect(await f.store.readStepLogs("shop", "shop-api")).toEqual({});
    await f.store.writeStepLogs("shop", "shop-api", "job-0", `${"x".repeat(MAX_STEP_LOG_CHARS)}END`);
    for (let i = 1; i <= MAX_STEP_LOGS; i++) await f.store.writeStepLogs("shop", "shop-api", `job-${i}`, `log ${i}`);
    const secret = f.secrets.get("shop/berth-steps-shop-api")!;
    expect(secret.type).toBe("Opaque");
    expect(secret.metadata!.labels).toEqual({ "berth.dev/managed": "true", "berth.dev/step-logs": "true", "berth.dev/release": "shop-api" });
    expect(f.writes.filter((w) => w === "create")).toHaveLength(1);
    const logs = await f.store.readStepLogs("shop", "shop-api");
    expect(Object.keys(logs)).toHaveLength(MAX_STEP_LOGS);
    expect(logs["job-0"]).toBeUndefined();
    expect(logs[`job-${MAX_STEP_LOGS}`]).toBe(`log ${MAX_STEP_LOGS}`);
  });

  it("cuts a long log to its tail", async () => {
    const f = fakeCore();
    await f.store.writeStepLogs("shop", "shop-api", "job-a", `${"x".repeat(MAX_STEP_LOG_CHARS)}END`);
    const got = (await f.store.readStepLogs("shop", "shop-api"))["job-a"]!;
    expect(got).toHaveLength(MAX_STEP_LOG_CHARS);
    expect(got.endsWith("END")).toBe(true);
  });
});
