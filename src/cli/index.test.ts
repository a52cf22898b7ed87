import { describe, expect, it } from "vitest";
import { PassThrough } from "node:stream";
import { run } from "./index.ts";

function capture() {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (d) => (o += d));
  err.on("data", (d) => (e += d));
  return { out, err, text: () => ({ out: o, err: e }) };
}

describe("cli", () => {
  it("exits 2 on an unknown command", async () => {
    const c = capture();
    const code = await run(["no-such-command"], { stdout: c.out, stderr: c.err });
    expect(code).toBe(2);
  });
  it("prints help and exits 0", async () => {
    const c = capture();
    const code = await run(["--help"], { stdout: c.out, stderr: c.err });
    expect(code).toBe(0);
    expect(c.text().out).toContain("berth");
  });
});
