import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { run } from "./index.ts";
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

describe("berth serve (in-process)", () => {
  it("serves, re-reads a rotated secret file per webhook call, and stops on SIGTERM with 0", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-serve-cli-"));
    const secretFile = join(dir, "hook-secret");
    await writeFile(secretFile, "first-secret\n");
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    const defs = await mkdtemp(join(tmpdir(), "berth-serve-defs-"));
    const code = run(["serve", "--source", defs, "--port", "0", "--host", "127.0.0.1", "--cache-dir", join(dir, "cache"), "--webhook-secret-file", secretFile], { stdout, stderr });
    let url: string | undefined;
    for (let i = 0; i < 300 && !url; i++) {
      url = /serving on (http:\/\/\S+)/.exec(out)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 50));
    }
    expect(url).toBeDefined();
    const hook = (token: string) => fetch(`${url}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": token }, body: "{}" }).then((r) => r.status);
    expect(await hook("first-secret")).toBe(202);
    await writeFile(secretFile, "second-secret\n");
    expect(await hook("first-secret")).toBe(401);
    expect(await hook("second-secret")).toBe(202);
    process.emit("SIGTERM");
    expect(await code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it.each([
    [["--port", "http"], /--port must be a port number \(0-65535\), got "http"/],
    [["--interval", "0"], /--interval must be a positive whole number, got "0"/],
    [["--webhook-secret-file", "/nonexistent/s"], /--webhook-secret-file \/nonexistent\/s: cannot read it/],
  ])("refuses %j with exit code 2", async (flags, message) => {
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const defs = await mkdtemp(join(tmpdir(), "berth-serve-defs-"));
    const code = await run(["serve", "--source", defs, "--cache-dir", join(defs, ".c"), ...flags], { stdout: new PassThrough(), stderr });
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});
