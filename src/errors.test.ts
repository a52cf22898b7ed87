import { describe, expect, it } from "vitest";
import { GitError, redactCredentials } from "./errors.ts";

describe("redactCredentials", () => {
  it.each([
    ["https://user:s3cret@example.com/org/repo.git", "https://***@example.com/org/repo.git"],
    ["https://ghp_token123@github.com/org/repo", "https://***@github.com/org/repo"],
    ["fatal: unable to access 'https://u:p@host:8443/r.git/': refused", "fatal: unable to access 'https://***@host:8443/r.git/': refused"],
    ["https://u:p@ss@host/r.git", "https://***@host/r.git"], // unencoded @ in the password
    ["two: http://a:b@h1/x and ssh://git:pw@h2/y", "two: http://***@h1/x and ssh://***@h2/y"],
    ["https://example.com/org/repo.git", "https://example.com/org/repo.git"],
    ["file:///srv/git/repo.git", "file:///srv/git/repo.git"],
    ["git@github.com:org/repo.git", "git@github.com:org/repo.git"], // scp-like: the user is not a secret
    ["mail me at a@b.c", "mail me at a@b.c"],
  ])("%s", (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
  });
});

describe("GitError", () => {
  it("keeps command and stderr, redacted, and names the first stderr line", () => {
    const e = new GitError(
      ["fetch", "https://u:pw@h/r.git", "main"],
      "fatal: could not read from 'https://u:pw@h/r.git'\nmore\n",
      "check the URL",
    );
    expect(e.code).toBe("GIT_FAILED");
    expect(e.name).toBe("GitError");
    expect(e.command).toBe("git fetch https://***@h/r.git main");
    expect(e.stderr).toBe("fatal: could not read from 'https://***@h/r.git'\nmore");
    expect(e.message).toBe("git fetch https://***@h/r.git main: fatal: could not read from 'https://***@h/r.git' (check the URL)");
    expect(JSON.stringify({ ...e, m: e.message })).not.toContain("pw");
  });
});
