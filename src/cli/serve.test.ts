import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { webhookSecretFrom } from "./serve.ts";

describe("webhookSecretFrom", () => {
  it.each([
    ["the file wins over the environment", "from-file\n", { BERTH_WEBHOOK_SECRET: "from-env" }, "from-file"],
    ["CRLF is dropped", "abc\r\n", {}, "abc"],
    ["inner spaces stay", "a b ", {}, "a b "],
  ])("%s", async (_n, content, env, want) => {
    const dir = await mkdtemp(join(tmpdir(), "berth-secret-"));
    await writeFile(join(dir, "s"), content);
    expect(webhookSecretFrom(join(dir, "s"), env)).toBe(want);
  });

  it.each([
    ["the environment without a file", { BERTH_WEBHOOK_SECRET: "from-env" }, "from-env"],
    ["nothing", {}, undefined],
    ["an empty variable", { BERTH_WEBHOOK_SECRET: "" }, undefined],
  ])("%s", (_n, env, want) => {
    expect(webhookSecretFrom(undefined, env)).toBe(want);
  });

  it("names the file when it cannot be read or is empty", async () => {
    expect(() => webhookSecretFrom("/nonexistent/secret", {})).toThrow(/--webhook-secret-file \/nonexistent\/secret: cannot read it \(ENOENT\)/);
    const dir = await mkdtemp(join(tmpdir(), "berth-secret-"));
    await writeFile(join(dir, "empty"), "\n");
    expect(() => webhookSecretFrom(join(dir, "empty"), {})).toThrow(/the file is empty/);
  });
});
