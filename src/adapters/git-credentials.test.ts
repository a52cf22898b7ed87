import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { credentialEnv, hasUrlCredentials, httpOrigin, isAuthFailure, readTokenFile } from "./git-credentials.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-git-token-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe("credentialEnv", () => {
  it("scopes a basic-auth header to the source's origin, through GIT_CONFIG_* only", () => {
    const env = credentialEnv("https://git.example.com:8443/org/defs.git", { username: "x-access-token", token: "tok-123" });
    expect(env).toEqual({
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.https://git.example.com:8443/.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from("x-access-token:tok-123").toString("base64")}`,
    });
  });

  it.each(["ssh://git@host/org/defs.git", "git@host:org/defs.git", "file:///srv/defs.git", "/srv/defs.git"])("gives %s nothing", (url) => {
    expect(credentialEnv(url, { username: "u", token: "t" })).toEqual({});
  });
});

describe("httpOrigin and hasUrlCredentials", () => {
  it.each([
    ["http://127.0.0.1:3000/berth/defs.git", "http://127.0.0.1:3000/", false],
    ["https://deployer:pw@git.example.com/defs.git", "https://git.example.com/", true],
    ["https://tok@git.example.com/defs.git", "https://git.example.com/", true],
    ["ssh://git@host/defs.git", undefined, true],
    ["./defs", undefined, false],
  ])("%s", (url, origin, creds) => {
    expect(httpOrigin(url)).toBe(origin);
    expect(hasUrlCredentials(url)).toBe(creds);
  });
});

describe("readTokenFile", () => {
  it("reads the first line, without the newline", async () => {
    expect(await readTokenFile(file("ok", "abc123\n"))).toBe("abc123");
    expect(await readTokenFile(file("crlf", "  abc123\r\nsecond line\n"))).toBe("abc123");
  });

  it.each([
    ["a missing file", () => join(dir, "nope"), /--git-token-file FILE .*cannot read .*nope \(ENOENT\); give a file that holds the token/],
    ["an empty file", () => file("empty", "\n"), /is empty; its first line must be the token/],
    ["a line with spaces", () => file("spaces", "user token\n"), /holds white space; give the token alone/],
  ])("refuses %s with a usage error naming the flag and not the content", async (_what, path, message) => {
    const err = await readTokenFile(path()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain("user token");
  });
});

describe("isAuthFailure", () => {
  it.each([
    ["fatal: could not read Username for 'http://127.0.0.1:3000': terminal prompts disabled", true],
    ["remote: HTTP Basic: Access denied\nfatal: Authentication failed for 'https://gitlab.example.com/g/p.git/'", true],
    ["fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403", true],
    ["fatal: couldn't find remote ref refs/heads/nope", false],
    ["fatal: unable to access 'https://127.0.0.1:9/': Failed to connect to 127.0.0.1 port 9", false],
  ])("%s -> %s", (stderr, expected) => expect(isAuthFailure(stderr)).toBe(expected));
});
