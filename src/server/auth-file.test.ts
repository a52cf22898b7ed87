import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatIssue, UsageError, ValidationError } from "../errors.ts";
import { createLogger } from "../log.ts";
import { parseAuthFile, readAuthFile, watchAuthFile } from "./auth-file.ts";
import { sha256 } from "./auth.ts";

const H1 = sha256("token-1").toString("hex");
const H2 = sha256("token-2").toString("hex");
const H3 = sha256("token-3").toString("hex");
const GOOD = `tokens:
  - { name: ci-bot, sha256: ${H1}, role: viewer }
  - { name: shop-oncall, sha256: ${H2.toUpperCase()}, role: operator, applications: [shop, shop] }
  - name: platform
    sha256: ${H3}
    role: admin
`;

const issues = (text: string) => parseAuthFile("auth.yaml", text).issues.map(formatIssue);

describe("parseAuthFile", () => {
  it("reads each token's name, role, applications and digest", () => {
    const { tokens, issues } = parseAuthFile("auth.yaml", GOOD);
    expect(issues).toEqual([]);
    expect(tokens.map((t) => [t.name, t.role, t.applications, t.digest.toString("hex")])).toEqual([
      ["ci-bot", "viewer", undefined, H1],
      ["shop-oncall", "operator", ["shop"], H2],
      ["platform", "admin", undefined, H3],
    ]);
  });

  it.each([
    ["an empty file", "", ["auth.yaml:1:1 the file must be a mapping with a list of tokens (tokens: [{ name, sha256, role }]), got nothing"]],
    ["a list at the top", "- a\n", [expect.stringMatching(/^auth\.yaml:1:1 the file must be a mapping/)]],
    ["no tokens", "users: []\n", [expect.stringMatching(/^auth\.yaml:1:1 tokens: must be a list of at least one token .*got nothing$/), 'auth.yaml:1:1 users: unknown field "users"; allowed here: tokens']],
    ["an empty list", "tokens: []\n", [expect.stringMatching(/^auth\.yaml:1:1 tokens: must be a list of at least one token .*got an empty list$/)]],
    ["bad YAML", "tokens:\n  - { name: a\n", [expect.stringMatching(/^auth\.yaml:\d+:\d+ YAML syntax error/)]],
    ["a duplicate key", `tokens:\n  - { name: a, name: b, sha256: ${H1}, role: admin }\n`, [expect.stringMatching(/^auth\.yaml:2:\d+ YAML syntax error: Map keys must be unique/)]],
    [
      "a wrong role, an unknown field, a missing name",
      `tokens:\n  - sha256: ${H1}\n    role: owner\n    email: a@b\n`,
      [
        'auth.yaml:2:5 tokens[0].name: required: the token\'s name, as actions record it (e.g. ci-bot), got nothing',
        'auth.yaml:3:11 tokens[0].role: must be one of viewer, operator, admin (viewer reads; operator reads and acts on its applications; admin does everything), got "owner"',
        'auth.yaml:4:12 tokens[0].email: unknown field "email"; allowed here: name, sha256, role, applications',
      ],
    ],
    ["an operator without applications", `tokens:\n  - { name: a, sha256: ${H1}, role: operator }\n`, ["auth.yaml:2:5 tokens[0].applications: an operator needs the applications it may act on (applications: [shop]), got nothing"]],
    ["a viewer with applications", `tokens:\n  - { name: a, sha256: ${H1}, role: viewer, applications: [shop] }\n`, [expect.stringMatching(/^auth\.yaml:2:\d+ tokens\[0\]\.applications: only an operator lists applications; a viewer acts on none$/)]],
    ["an empty application name", `tokens:\n  - { name: a, sha256: ${H1}, role: operator, applications: [shop, ""] }\n`, [expect.stringMatching(/tokens\[0\]\.applications\[1\]: must be an application's name, got ""/)]],
    [
      "two entries of one name and one hash",
      `tokens:\n  - { name: a, sha256: ${H1}, role: admin }\n  - { name: a, sha256: ${H1.toUpperCase()}, role: viewer }\n`,
      ['auth.yaml:3:13 tokens[1].name: "a" is also the name of tokens[0]; each token needs its own name', "auth.yaml:3:24 tokens[1].sha256: is the same as tokens[0]'s: one token, one entry"],
    ],
    ["a list item that is not a mapping", "tokens:\n  - ci-bot\n", ["auth.yaml:2:5 tokens[0]: each token must be a mapping { name, sha256, role }, got a string"]],
  ])("refuses %s, saying where and what would be right", (_n, text, want) => {
    expect(issues(text)).toEqual(want);
  });

  it("never shows a sha256, or a token pasted in its place", () => {
    const pasted = "s3cr3t-token-pasted-here";
    const out = issues(`tokens:\n  - { name: a, sha256: ${pasted}, role: admin }\n  - { name: b, sha256: ${H1}, role: bogus }\n  - { name: c, sha256: 12345, role: admin }\n`).join("\n");
    expect(out).toContain("tokens[0].sha256: must be the token's sha256 as 64 hex digits (printf %s \"$TOKEN\" | sha256sum), got 24 characters that are not");
    expect(out).toContain("tokens[2].sha256: required: the token's sha256 as 64 hex digits");
    expect(out).not.toContain(pasted);
    expect(out).not.toContain(H1);
    expect(out).not.toContain("12345");
  });
});

describe("readAuthFile / watchAuthFile", () => {
  const sink = () => {
    let logs = "";
    const log = createLogger({ level: "info", destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) });
    return { log, logs: () => logs };
  };

  it("refuses an unreadable file as usage, a bad one with every issue", async () => {
    expect(() => readAuthFile("/nonexistent/auth.yaml")).toThrow(UsageError);
    const dir = await mkdtemp(join(tmpdir(), "berth-auth-"));
    await writeFile(join(dir, "a.yaml"), "tokens: 3\n");
    const err = (() => {
      try {
        readAuthFile(join(dir, "a.yaml"));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toMatch(/a\.yaml:1:\d+ tokens: must be a list/);
  });

  it("takes a changed file's tokens, and keeps the old ones (logged) when the new file is bad", async () => {
    const dir = await mkdtemp(join(tmpdir(), "berth-auth-"));
    const file = join(dir, "auth.yaml");
    await writeFile(file, GOOD);
    let t = 0;
    const { log, logs } = sink();
    const tokens = watchAuthFile(file, { log, checkEveryMs: 1000, now: () => t });
    expect(tokens().map((x) => x.name)).toEqual(["ci-bot", "shop-oncall", "platform"]);
    await writeFile(file, `tokens:\n  - { name: only, sha256: ${H1}, role: admin }\n`);
    expect(tokens()).toHaveLength(3); // not looked at again before checkEveryMs
    t = 1000;
    expect(tokens().map((x) => x.name)).toEqual(["only"]);
    await writeFile(file, `tokens:\n  - { name: broken, sha256: ${H2}, role: root }\n`);
    t = 2000;
    expect(tokens().map((x) => x.name)).toEqual(["only"]);
    expect(logs()).toMatch(/keeping the tokens read before/);
    expect(logs()).toMatch(/tokens\[0\]\.role: must be one of/);
    for (const h of [H1, H2, H3]) expect(logs()).not.toContain(h);
  });
});
