// examples/ci/berth-pr-comment.mjs run as the workflows run it (node, env),
// against a loopback stand-in of the forges' comment API (GitHub's and
// Gitea's shapes) and a stand-in berth that prints what it is told; the real
// berth and a real Gitea: test/ci/pr-comment.int.test.ts.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PKG_ROOT } from "../render/fixture.ts";

const SCRIPT = join(PKG_ROOT, "examples", "ci", "berth-pr-comment.mjs");
const TOKEN = "tok-3f9a1c-never-printed";
const MARKER = "<!-- berth-diff -->";

interface Comment {
  id: number;
  body: string;
  user: { login: string };
}
interface Seen {
  method: string;
  url: string;
  auth?: string;
  body?: { body: string };
}

/** The comments API of one pull request (owner/repo#5), GitHub's paging (2 per page, Link next) or Gitea's all at once. */
function fakeForge(prefix: string, paged: boolean) {
  let comments: Comment[] = [];
  let nextId = 100;
  const seen: Seen[] = [];
  let refuse: number | undefined;
  // the next `count` calls of `method` answer `status`
  let flaky: { method: string; count: number; status: number } | undefined;
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = "";
      req.on("data", (d) => (s += d));
      req.on("end", () => resolve(s));
    });
  const server: Server = createServer(async (req, res) => {
    const raw = await read(req);
    const body = raw ? (JSON.parse(raw) as { body: string }) : undefined;
    seen.push({ method: req.method as string, url: req.url as string, auth: req.headers.authorization, ...(body ? { body } : {}) });
    const send = (status: number, v: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(v));
    };
    if (refuse) return send(refuse, { message: "Resource not accessible by integration" });
    if (flaky && flaky.method === req.method && flaky.count > 0) {
      flaky.count--;
      return send(flaky.status, { message: "upstream hiccup" });
    }
    const url = new URL(req.url as string, "http://x");
    if (!url.pathname.startsWith(prefix)) return send(404, { message: "Not Found" });
    const path = url.pathname.slice(prefix.length);
    if (req.method === "GET" && path === "/repos/o/r/issues/5/comments") {
      if (!paged) return send(200, comments);
      const page = Number(url.searchParams.get("page") ?? "1");
      const slice = comments.slice((page - 1) * 2, page * 2);
      const more = comments.length > page * 2;
      const { port } = server.address() as AddressInfo;
      // GitHub's next link names the repository by id, not owner/name
      return send(200, slice, more ? { Link: `<http://127.0.0.1:${port}${prefix}/repositories/77/issues/5/comments?per_page=100&page=${page + 1}>; rel="next"` } : {});
    }
    if (req.method === "GET" && paged && path === "/repositories/77/issues/5/comments") {
      const page = Number(url.searchParams.get("page"));
      return send(200, comments.slice((page - 1) * 2, page * 2));
    }
    if (req.method === "POST" && path === "/repos/o/r/issues/5/comments" && body) {
      const c = { id: nextId++, body: body.body, user: { login: "bot" } };
      comments.push(c);
      return send(201, { ...c, html_url: `http://forge/o/r/pull/5#issuecomment-${c.id}` });
    }
    const m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(path);
    if (req.method === "PATCH" && m && body) {
      const c = comments.find((x) => x.id === Number(m[1]));
      if (!c) return send(404, { message: "comment not found" });
      c.body = body.body;
      return send(200, { ...c, html_url: `http://forge/o/r/pull/5#issuecomment-${c.id}` });
    }
    send(404, { message: `no route ${req.method} ${path}` });
  });
  return {
    server,
    seen,
    get comments() {
      return comments;
    },
    set comments(c: Comment[]) {
      comments = c;
    },
    refuse(status: number | undefined) {
      refuse = status;
    },
    flaky(f: typeof flaky) {
      flaky = f;
    },
    async start() {
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), "berth-pr-comment-"));
// prints FAKE_MD (or a file's content), exits FAKE_CODE, and records its arguments
const fakeBerth = join(dir, "fake-berth.mjs");
writeFileSync(
  fakeBerth,
  `import { readFileSync, writeFileSync } from "node:fs";
writeFileSync(process.env.FAKE_ARGS, JSON.stringify(process.argv.slice(2)));
process.stdout.write(process.env.FAKE_MD_FILE ? readFileSync(process.env.FAKE_MD_FILE, "utf8") : process.env.FAKE_MD ?? "");
if (process.env.FAKE_ERR) process.stderr.write(process.env.FAKE_ERR);
process.exit(Number(process.env.FAKE_CODE ?? "3"));
`,
);
const argsFile = join(dir, "args.json");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const md = (text: string) => `${MARKER}\n## berth diff\n\n${text}\n`;

async function script(env: Record<string, string>, args: string[] = []) {
  const r = await execa("node", [SCRIPT, ...args], {
    reject: false,
    stripFinalNewline: false,
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", BERTH_COMMAND: `node ${fakeBerth}`, FAKE_ARGS: argsFile, BERTH_DIR: dir, ...env },
    extendEnv: false,
  });
  return { code: r.exitCode, out: r.stdout, err: r.stderr };
}

describe("on GitHub's API", () => {
  const forge = fakeForge("", true);
  let api: string;
  beforeAll(async () => {
    api = await forge.start();
  });
  afterAll(() => forge.server.close());
  afterEach(() => forge.refuse(undefined));
  const env = () => ({ GITHUB_API_URL: api, GITHUB_REPOSITORY: "o/r", GITHUB_TOKEN: TOKEN, BERTH_PR_NUMBER: "5", BERTH_BASE_SHA: "aaa", BERTH_HEAD_SHA: "bbb", BERTH_MERGE_BASE: "false" });

  it("creates the comment when there is none, with berth's markdown, and says so; the token only in the header", async () => {
    forge.comments = [{ id: 1, body: "LGTM", user: { login: "alice" } }];
    const r = await script({ ...env(), FAKE_MD: md("first") });
    expect(r.err).toContain("berth diff --base aaa --head bbb");
    expect(r.out).toBe("berth-pr-comment: created comment 100 on o/r#5 (http://forge/o/r/pull/5#issuecomment-100): changes\n");
    expect(r.code).toBe(0);
    expect(forge.comments.map((c) => c.body)).toEqual(["LGTM", md("first")]);
    expect(JSON.parse(readFileSync(argsFile, "utf8"))).toEqual(["diff", "--base", "aaa", "--head", "bbb", "--format", "markdown", dir]);
    expect(forge.seen.every((s) => s.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(r.out + r.err).not.toContain(TOKEN);
  });

  it("updates its own comment on a later run, found by the marker on a later page, and never adds a second", async () => {
    forge.comments = [
      { id: 1, body: "LGTM", user: { login: "alice" } },
      { id: 2, body: `> quoting the bot:\n> ${MARKER}`, user: { login: "bob" } },
      { id: 3, body: "nit", user: { login: "alice" } },
      { id: 100, body: md("first"), user: { login: "bot" } },
    ];
    forge.seen.length = 0;
    const r = await script({ ...env(), FAKE_MD: md("second"), FAKE_CODE: "0" });
    expect(r.code).toBe(0);
    expect(r.out).toBe("berth-pr-comment: updated comment 100 on o/r#5 (http://forge/o/r/pull/5#issuecomment-100): no changes\n");
    expect(forge.comments.filter((c) => c.body.startsWith(MARKER)).map((c) => [c.id, c.body])).toEqual([[100, md("second")]]);
    expect(forge.seen.map((s) => s.method)).toEqual(["GET", "GET", "PATCH"]);
    expect(forge.seen[1]!.url).toBe("/repositories/77/issues/5/comments?per_page=100&page=2");
  });

  it("reads the pull request's number and commits from the event when not given", async () => {
    forge.comments = [];
    const event = join(dir, "event.json");
    writeFileSync(event, JSON.stringify({ pull_request: { number: 5, base: { sha: "b1" }, head: { sha: "h1" } } }));
    const { BERTH_PR_NUMBER: _, BERTH_BASE_SHA: __, BERTH_HEAD_SHA: ___, ...rest } = env();
    const r = await script({ ...rest, GITHUB_EVENT_PATH: event, FAKE_MD: md("from the event") });
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(argsFile, "utf8"))).toEqual(["diff", "--base", "b1", "--head", "h1", "--format", "markdown", dir]);
  });

  it("a refusal exits 1 naming the call, the status, the forge's message and what to check, never the token", async () => {
    forge.refuse(403);
    const r = await script({ ...env(), FAKE_MD: md("x") });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/repos\/o\/r\/issues\/5\/comments: 403 Forbidden: Resource not accessible by integration; the token may not write comments here \(GitHub: permissions pull-requests: write/);
    expect(r.out + r.err).not.toContain(TOKEN);
  });

  it("a forge that cannot be reached says so", async () => {
    const r = await script({ ...env(), GITHUB_API_URL: "http://127.0.0.1:1", FAKE_MD: md("x") });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GET http:\/\/127\.0\.0\.1:1\/repos\/o\/r\/issues\/5\/comments: cannot reach the forge \(.*\); check --api-url/);
  });

  it("a forge that answers 502 to a read is asked again; a POST that gets 502 is not (it may have been taken)", async () => {
    forge.comments = [];
    forge.seen.length = 0;
    forge.flaky({ method: "GET", count: 1, status: 502 });
    const r = await script({ ...env(), FAKE_MD: md("retried") });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/repos\/o\/r\/issues\/5\/comments: 502 Bad Gateway: upstream hiccup; trying again/);
    expect(forge.seen.map((s) => s.method)).toEqual(["GET", "GET", "POST"]);

    forge.comments = [];
    forge.seen.length = 0;
    forge.flaky({ method: "POST", count: 1, status: 502 });
    const p = await script({ ...env(), FAKE_MD: md("not twice") });
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/POST .*: 502 Bad Gateway: upstream hiccup\n$/);
    expect(forge.seen.map((s) => s.method)).toEqual(["GET", "POST"]);
    forge.flaky(undefined);
  });

  it("a marker of its own replaces berth's, so two definitions directories keep a comment each", async () => {
    forge.comments = [{ id: 1, body: md("the default's comment"), user: { login: "bot" } }];
    const own = "<!-- berth-diff: prod/ -->";
    const r = await script({ ...env(), BERTH_MARKER: own, FAKE_MD: md("prod") });
    expect(r.out).toMatch(/^berth-pr-comment: created comment \d+ /);
    expect(forge.comments.map((c) => c.body)).toEqual([md("the default's comment"), md("prod").replace(MARKER, own)]);
  });

  it("berth failing: the comment says why (so the pull request shows it) and the run fails", async () => {
    forge.comments = [];
    const r = await script({ ...env(), FAKE_MD: "", FAKE_ERR: "error: apps/shop.yaml:3:1 spec.namespace: required", FAKE_CODE: "1" });
    expect(r.code).toBe(1);
    expect(r.err).toContain("berth diff failed (exit 1): error: apps/shop.yaml:3:1 spec.namespace: required");
    expect(forge.comments[0]!.body).toContain(`${MARKER}\n## berth diff failed\n`);
    expect(forge.comments[0]!.body).toContain("```\nerror: apps/shop.yaml:3:1 spec.namespace: required\n```");
  });

  it("a body longer than a comment holds is cut at a line, its fence and details closed, with a note", async () => {
    forge.comments = [];
    const long = join(dir, "long.md");
    writeFileSync(long, md(`<details><summary>big</summary>\n\n\`\`\`diff\n${"+ a line of the diff\n".repeat(5000)}\`\`\`\n\n</details>`));
    const r = await script({ ...env(), FAKE_MD_FILE: long });
    expect(r.code).toBe(0);
    const body = forge.comments[0]!.body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.startsWith(MARKER)).toBe(true);
    expect(body).toMatch(/\+ a line of the diff\n```\n<\/details>\n\n\*\*Cut here\*\*: the diff is \d+ characters/);
  });
});

describe("on Gitea's API", () => {
  const forge = fakeForge("/api/v1", false);
  let api: string;
  beforeAll(async () => {
    api = await forge.start();
  });
  afterAll(() => forge.server.close());

  it("the same calls under /api/v1 with a `token` header; GITEA_TOKEN and GITEA_ACTIONS suffice", async () => {
    forge.comments = [{ id: 7, body: "first!", user: { login: "a" } }];
    const env = { GITEA_ACTIONS: "true", BERTH_API_URL: api, GITHUB_REPOSITORY: "o/r", GITEA_TOKEN: TOKEN, BERTH_PR_NUMBER: "5", BERTH_BASE_SHA: "a", BERTH_HEAD_SHA: "b", BERTH_MERGE_BASE: "false" };
    expect((await script({ ...env, FAKE_MD: md("one") })).code).toBe(0);
    const r = await script({ ...env, FAKE_MD: md("two") });
    expect(r.out).toMatch(/^berth-pr-comment: updated comment 100 on o\/r#5/);
    expect(forge.comments.map((c) => c.body)).toEqual(["first!", md("two")]);
    expect(forge.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "GET /api/v1/repos/o/r/issues/5/comments?per_page=100",
      "POST /api/v1/repos/o/r/issues/5/comments",
      "GET /api/v1/repos/o/r/issues/5/comments?per_page=100",
      "PATCH /api/v1/repos/o/r/issues/comments/100",
    ]);
    expect(forge.seen.every((s) => s.auth === `token ${TOKEN}`)).toBe(true);
  });
});

describe("by hand", () => {
  it("--help documents every option and variable", async () => {
    const r = await script({}, ["--help"]);
    expect(r.code).toBe(0);
    for (const w of ["--forge", "--api-url", "--repository", "--pr", "--base", "--head", "--no-merge-base", "--dir", "--berth", "--diff-args", "--marker", "--dry-run", "BERTH_FORGE_TOKEN", "GITHUB_TOKEN", "GITEA_TOKEN", "GITHUB_API_URL", "GITHUB_EVENT_PATH"]) {
      expect(r.out).toContain(w);
    }
  });

  it.each([
    { args: ["--forge", "gitlab"], err: /--forge must be github or gitea, not "gitlab"/ },
    { args: ["--token", "x"], err: /--token is not an option: give the token in BERTH_FORGE_TOKEN/ },
    { args: ["--pr"], err: /--pr needs a value/ },
    { args: ["--repository", "o/r", "--pr", "x", "--base", "a", "--head", "b"], err: /--pr, the pull request's number .*, not "x"/ },
    { args: ["--frob"], err: /unknown option --frob/ },
  ])("$args exits 2: $err", async ({ args, err }) => {
    const r = await script({}, args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(err);
  });

  it("no token: exit 2 naming the variables", async () => {
    const r = await script({}, ["--repository", "o/r", "--pr", "5", "--base", "a", "--head", "b"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("no token: set BERTH_FORGE_TOKEN, GITHUB_TOKEN or GITEA_TOKEN");
  });

  it("--dry-run prints the comment; berth compares with the merge base of target and head", async () => {
    const repo = join(dir, "repo");
    const git = (...a: string[]) => execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...a], { cwd: repo });
    await execa("git", ["init", "-q", "-b", "main", repo]);
    await git("commit", "-q", "--allow-empty", "-m", "fork point");
    const fork = (await git("rev-parse", "HEAD")).stdout;
    await git("checkout", "-q", "-b", "pr");
    await git("commit", "-q", "--allow-empty", "-m", "the change");
    await git("checkout", "-q", "main");
    await git("commit", "-q", "--allow-empty", "-m", "main moved on");
    const r = await script({ FAKE_MD: md("dry"), BERTH_DIR: repo }, ["--dry-run", "--base", "main", "--head", "pr"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(md("dry"));
    expect(r.err).toContain(`berth diff --base ${fork} (the merge base of main and pr) --head pr`);
    expect(JSON.parse(readFileSync(argsFile, "utf8"))).toEqual(["diff", "--base", fork, "--head", "pr", "--format", "markdown", repo]);
  });
});
