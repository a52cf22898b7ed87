import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotifyError } from "../errors.ts";
import { checkUrl, readSinkFile, sinkLabel } from "./trust.ts";
import { notification } from "./test-fixtures.ts";

let root: string;
let allowed: string;
let outside: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-notify-trust-"));
  allowed = join(root, "allowed");
  outside = join(root, "outside");
  await mkdir(allowed);
  await mkdir(outside);
  await writeFile(join(allowed, "key"), "k3y\n");
  await writeFile(join(outside, "secret"), "NOT-FOR-BERTH");
  await symlink(join(outside, "secret"), join(allowed, "link"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const n = notification({});
const AT = ["spec", "sinks", 0, "webhook", "secretFile"];
const policy = () => ({ credentialDirs: [allowed], urls: ["https://hooks.example.com/berth"] });

describe("readSinkFile", () => {
  it("reads a file inside an allowed directory, trailing newline dropped", async () => {
    await expect(readSinkFile(n, AT, join(allowed, "key"), policy(), "webhook h")).resolves.toBe("k3y");
  });

  it.each([
    ["a file outside", () => join(outside, "secret")],
    ["a symlink inside leading outside", () => join(allowed, "link")],
    ["a ../ path out of the directory", () => join(allowed, "..", "outside", "secret")],
    ["a missing file (the same answer)", () => join(allowed, "nope")],
  ])("refuses %s, naming file:line, the field and the flag, and never the bytes", async (_n, path) => {
    const err = await readSinkFile(n, AT, path(), policy(), "webhook h").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyError);
    expect((err as NotifyError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/^webhook h: notify\/team\.yaml:\d+:\d+ spec\.sinks\[0\]\.webhook\.secretFile: .* is not a file inside the directories the operator allows .*--notification-credentials-dir/);
    expect((err as Error).message).not.toContain("NOT-FOR-BERTH");
  });

  it("refuses every file when the operator named no directory", async () => {
    await expect(readSinkFile(n, AT, join(allowed, "key"), { credentialDirs: [], urls: [] }, "webhook h")).rejects.toThrow(/allows \(none\)/);
  });

  it("refuses a path spelled with the environment", async () => {
    await expect(readSinkFile(n, AT, "$HOME/key", policy(), "webhook h")).rejects.toThrow(/nothing in a path on the berth host is expanded/);
  });
});

describe("checkUrl", () => {
  const URL_AT = ["spec", "sinks", 0, "webhook", "url"];
  it("allows a URL the operator lists, or one below it", () => {
    expect(() => checkUrl(n, URL_AT, "https://hooks.example.com/berth", policy(), "l", "url")).not.toThrow();
    expect(() => checkUrl(n, URL_AT, "https://hooks.example.com/berth/team", policy(), "l", "url")).not.toThrow();
  });

  it.each([
    ["another host", "https://metadata.internal/latest", /https:\/\/metadata\.internal\/latest is not one the operator allows .*--notification-url-allow/],
    ["a look-alike host", "https://hooks.example.com.evil.test/berth", /is not one the operator allows/],
    ["a sibling path", "https://hooks.example.com/berthx", /is not one the operator allows/],
    ["credentials in the URL", "https://u:p@hooks.example.com/berth", /user:password@ is refused/],
    ["another scheme", "file:///etc/passwd", /only http\(s\) URLs/],
  ])("refuses %s", (_n, url, message) => {
    expect(() => checkUrl(n, URL_AT, url, policy(), "l", "url")).toThrow(message);
  });

  it("with no list, posts nowhere", () => {
    expect(() => checkUrl(n, URL_AT, "https://hooks.example.com/berth", { credentialDirs: [], urls: [] }, "l", "url")).toThrow(/allows \(none\)/);
  });

  it("names a URL read from a file by its host only", () => {
    const url = "https://hooks.slack.com/services/T000/B000/SECRETPATH";
    const err = (() => {
      try {
        checkUrl(n, URL_AT, url, policy(), "slack hooks.slack.com", "host");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/a URL on hooks\.slack\.com is not one the operator allows/);
    expect(err?.message).not.toContain("SECRETPATH");
    expect(sinkLabel("slack", url)).toBe("slack hooks.slack.com");
  });
});
