// The harness's free ports: a port once handed out is never handed out again
// by this process. The kernel alone does not promise that once a call has
// closed its probes, and clusters started one after another (or side by side)
// would then share a port that the first has not bound yet.
import { describe, expect, it } from "vitest";
import { freePorts } from "../cluster/ports.ts";

describe("freePorts", () => {
  it("hands out no port twice over 250 calls", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 250; i++) ports.push(...(await freePorts(4)));
    expect(ports).toHaveLength(1000);
    expect(new Set(ports).size).toBe(1000);
  });
});
