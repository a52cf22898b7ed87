import { createHash } from "node:crypto";
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

  it("with --auth-file and --probe-port: the API needs a token, the probes and the webhook do not, and the probe port serves nothing else", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-serve-cli-"));
    const authFile = join(dir, "auth.yaml");
    await writeFile(authFile, `tokens:\n  - { name: ci-bot, sha256: ${createHash("sha256").update("cli-t0ken").digest("hex")}, role: viewer }\n`);
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    const defs = await mkdtemp(join(tmpdir(), "berth-serve-defs-"));
    const code = run(["serve", "--source", defs, "--port", "0", "--host", "127.0.0.1", "--probe-port", "0", "--probe-host", "127.0.0.1", "--cache-dir", join(dir, "cache"), "--auth-file", authFile], { stdout, stderr: new PassThrough() });
    let m: RegExpExecArray | null = null;
    for (let i = 0; i < 300 && !m; i++) {
      m = /serving on (http:\/\/\S+) \(tokens from --auth-file\); \/healthz, \/readyz, \/metrics and \/hooks\/git also on (http:\/\/\S+)\n/.exec(out);
      if (!m) await new Promise((r) => setTimeout(r, 50));
    }
    expect(m, out).not.toBeNull();
    const [, url, probe] = m!;
    expect((await fetch(`${url}/api/v1/clusters`)).status).toBe(401);
    // the page is a public shell holding no data (it asks for the token); the probe port does not serve it
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect((await fetch(`${probe}/`)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/openapi.json`, { headers: { authorization: "Bearer cli-t0ken" } })).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${probe}/healthz`)).status).toBe(200);
    expect((await fetch(`${probe}/metrics`)).status).toBe(200);
    expect((await fetch(`${probe}/api/v1/clusters`, { headers: { authorization: "Bearer cli-t0ken" } })).status).toBe(404);
    process.emit("SIGTERM");
    expect(await code).toBe(0);
  });

  it("without --auth-file says the API is on loopback only", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-serve-cli-"));
    const stdout = new PassThrough();
    let out = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = run(["serve", "--source", dir, "--port", "0", "--cache-dir", join(dir, ".c")], { stdout, stderr: new PassThrough() });
    for (let i = 0; i < 300 && !out.includes("\n"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/^berth serving on http:\/\/127\.0\.0\.1:\d+ \(no --auth-file: the API and page on loopback only, and nobody may act through them\)\n$/);
    process.emit("SIGTERM");
    expect(await code).toBe(0);
  });

  it("refuses a bad --auth-file at start with exit code 1, naming file:line and field, never the hash", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-serve-cli-"));
    const authFile = join(dir, "auth.yaml");
    const hash = createHash("sha256").update("x").digest("hex");
    await writeFile(authFile, `tokens:\n  - { name: ci-bot, sha256: ${hash}, role: reader }\n  - { name: ops, sha256: not-a-hash, role: operator }\n`);
    const stderr = new PassThrough();
    let err = "";
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await run(["serve", "--source", dir, "--cache-dir", join(dir, ".c"), "--auth-file", authFile], { stdout: new PassThrough(), stderr });
    expect(code).toBe(1);
    expect(err).toContain(`${authFile}:2:101 tokens[0].role: must be one of viewer, operator, admin`);
    expect(err).toContain(`${authFile}:3:26 tokens[1].sha256: must be the token's sha256 as 64 hex digits`);
    expect(err).toContain(`${authFile}:3:5 tokens[1].applications: an operator needs the applications it may act on`);
    expect(err).not.toContain(hash);
    expect(err).not.toContain("not-a-hash");
  });

  it.each([
    [["--host", "0.0.0.0"], /--host 0\.0\.0\.0 would serve the API and page to the network without tokens: give --auth-file/],
    [["--probe-port", "x"], /--probe-port must be a port number \(0-65535\), got "x"/],
    [["--auth-file", "/nonexistent/auth.yaml"], /--auth-file \/nonexistent\/auth\.yaml: cannot read it \(ENOENT\)/],
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
