import { describe, expect, it } from "vitest";
import type { Repo } from "../model/types.ts";
import type { ClusterResult } from "./cluster.ts";
import type { ProgressEvent } from "./progress.ts";
import { runWaves } from "./waves.ts";

const repo = (canary: string[] | undefined) =>
  ({ applications: [{ metadata: { name: "shop" }, spec: { ...(canary ? { placement: { rollout: { canary } } } : {}) } }] }) as unknown as Pick<Repo, "applications">;

describe("runWaves", () => {
  it("runs the canaries first; the rest wait on them (said as an event) and get what the canary holds back", async () => {
    const order: string[] = [];
    const seen: ProgressEvent[] = [];
    const run = async (c: { name: string }, held?: Map<string, string>): Promise<ClusterResult> => {
      order.push(`${c.name}${held?.size ? ` held ${[...held.keys()].join(",")}` : ""}`);
      const failed = c.name === "east";
      return { cluster: c.name, reachable: true, releases: [{ name: "shop-api", namespace: "shop", application: "shop", outcome: failed ? "failed" : "applied", reason: "x", final: {} as never, records: [] }] };
    };
    const out = await runWaves(repo(["east"]), [{ name: "west" }, { name: "east" }, { name: "north" }], run, (e) => seen.push(e));
    expect(order).toEqual(["east", "west held shop", "north held shop"]);
    expect(out.map((r) => r.cluster)).toEqual(["east", "west", "north"]);
    expect(seen).toEqual([
      { kind: "waiting", cluster: "west", on: [{ name: "east", via: "canary" }] },
      { kind: "waiting", cluster: "north", on: [{ name: "east", via: "canary" }] },
    ]);
  });

  it("without canaries every cluster runs at once and nothing waits", async () => {
    const seen: ProgressEvent[] = [];
    const out = await runWaves(repo(undefined), [{ name: "east" }, { name: "west" }], async (c) => ({ cluster: c.name, reachable: true, releases: [] }), (e) => seen.push(e));
    expect(out.map((r) => r.cluster)).toEqual(["east", "west"]);
    expect(seen).toEqual([]);
  });
});
