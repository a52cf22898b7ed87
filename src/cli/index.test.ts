import { describe, expect, it } from "vitest";
import { runBerth } from "../../test/support/cli.ts";

describe("cli", () => {
  it("exits 2 on an unknown command", async () => {
    expect((await runBerth(["no-such-command"])).code).toBe(2);
  });
  it("prints help and exits 0", async () => {
    const r = await runBerth(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("berth");
  });
});
