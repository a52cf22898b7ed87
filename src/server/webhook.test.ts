import { createHmac } from "node:crypto";
import { request } from "node:http";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { createRouter } from "./router.ts";
import { listen, type Listening } from "./server.ts";
import { verifyPush, webhookRoute } from "./webhook.ts";

const SECRET = "s3cret-hook-value";
const BODY = Buffer.from(JSON.stringify({ ref: "refs/heads/main", after: "abc", repository: { default_branch: "main" } }));
const hmac = (key: string, body: Buffer = BODY) => createHmac("sha256", key).update(body).digest("hex");

describe("verifyPush", () => {
  it.each([
    ["GitHub, right signature", { "x-hub-signature-256": `sha256=${hmac(SECRET)}`, "x-github-event": "push" }, "github"],
    ["GitHub, upper-case hex", { "x-hub-signature-256": `sha256=${hmac(SECRET).toUpperCase()}` }, "github"],
    ["Gitea, its own header", { "x-gitea-signature": hmac(SECRET), "x-gitea-event": "push" }, "gitea"],
    ["Gitea, with the GitHub header too", { "x-hub-signature-256": `sha256=${hmac(SECRET)}`, "x-gitea-signature": hmac(SECRET), "x-gitea-event": "push" }, "gitea"],
    ["GitLab token", { "x-gitlab-token": SECRET, "x-gitlab-event": "Push Hook" }, "gitlab"],
  ])("accepts %s", (_name, headers, provider) => {
    expect(verifyPush(headers, BODY, SECRET)).toEqual({ ok: true, provider });
  });

  it.each([
    ["GitHub, signed with another secret", { "x-hub-signature-256": `sha256=${hmac("other")}` }, /X-Hub-Signature-256 does not match/],
    ["GitHub, without the sha256= prefix", { "x-hub-signature-256": hmac(SECRET) }, /X-Hub-Signature-256 does not match/],
    ["GitHub, signature of another body", { "x-hub-signature-256": `sha256=${hmac(SECRET, Buffer.from("{}"))}` }, /does not match/],
    ["GitHub, empty", { "x-hub-signature-256": "" }, /does not match/],
    ["Gitea, wrong", { "x-gitea-signature": hmac("other") }, /X-Gitea-Signature does not match/],
    ["GitLab, wrong token", { "x-gitlab-token": "guess" }, /X-Gitlab-Token is not/],
    ["GitLab, the secret as a prefix", { "x-gitlab-token": `${SECRET}x` }, /X-Gitlab-Token is not/],
    ["no signature at all", { "x-github-event": "push" }, /no signature/],
  ])("rejects %s", (_name, headers, reason) => {
    const v = verifyPush(headers, BODY, SECRET);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(reason);
  });

  it("rejects everything when no secret is configured", () => {
    const v = verifyPush({ "x-gitlab-token": "" }, BODY, undefined);
    expect(v).toEqual({ ok: false, reason: expect.stringMatching(/no secret configured/) });
  });
});

describe("POST /hooks/git", () => {
  let server: Listening | undefined;
  let triggered = 0;
  afterEach(async () => {
    await server?.close();
    triggered = 0;
  });
  let deliveries: string[] = [];
  let logs = "";
  afterEach(() => {
    deliveries = [];
    logs = "";
  });
  const start = async (limit = 1024, followed: { ref?: string } = {}) => {
    const log = createLogger({ level: "info", destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) });
    const route = webhookRoute({ secret: () => SECRET, trigger: () => triggered++, log, bodyLimit: limit, followed, onDelivery: (p, o) => deliveries.push(`${p} ${o}`) });
    server = await listen(createRouter([route], createLogger({ level: "silent" })), 0, "127.0.0.1");
    return server.url;
  };

  it.each([
    ["GitHub", { "x-hub-signature-256": `sha256=${hmac(SECRET)}`, "x-github-event": "push" }],
    ["Gitea", { "x-gitea-signature": hmac(SECRET), "x-gitea-event": "push" }],
    ["GitLab", { "x-gitlab-token": SECRET, "x-gitlab-event": "Push Hook" }],
  ])("a verified %s push gets 202 and triggers one fetch", async (_p, headers) => {
    const url = await start();
    const res = await fetch(`${url}/hooks/git`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: BODY });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ triggered: true });
    expect(triggered).toBe(1);
  });

  it.each([
    ["an issues event", { "x-github-event": "issues" }, BODY, {}, "event issues is not a push; berth acts on push events only"],
    ["a push to another branch", { "x-github-event": "push" }, BODY, { ref: "release" }, "push to refs/heads/main; berth follows refs/heads/release (or the tag refs/tags/release)"],
    ["a push with an empty body", { "x-github-event": "push" }, Buffer.alloc(0), {}, "empty body; a push event carries its payload as JSON"],
  ])("a verified GitHub delivery of %s gets 202 ignored, with the reason, and triggers nothing", async (_what, headers, body, followed, reason) => {
    const url = await start(1024, followed);
    const res = await fetch(`${url}/hooks/git`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${hmac(SECRET, body)}`, "x-github-delivery": "d-1", ...headers },
      body,
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ triggered: false, ignored: true, provider: "github", reason });
    expect(triggered).toBe(0);
    expect(deliveries).toEqual(["github ignored"]);
    const line = JSON.parse(logs.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ msg: "webhook ignored", provider: "github", event: headers["x-github-event"], delivery: "d-1", reason });
  });

  it("logs and counts an accepted push with its event and delivery id, never the secret or the body", async () => {
    const url = await start();
    const headers = { "x-gitea-signature": hmac(SECRET), "x-gitea-event": "push", "x-gitea-delivery": "9f1c-delivery" };
    const res = await fetch(`${url}/hooks/git`, { method: "POST", headers, body: BODY });
    expect(await res.json()).toEqual({ triggered: true, provider: "gitea", ref: "refs/heads/main" });
    expect(deliveries).toEqual(["gitea accepted"]);
    expect(JSON.parse(logs.trim())).toMatchObject({ msg: "webhook accepted; fetching the source", provider: "gitea", event: "push", delivery: "9f1c-delivery", ref: "refs/heads/main" });
    await fetch(`${url}/hooks/git`, { method: "POST", headers: { "x-gitea-signature": hmac("nope"), "x-gitea-event": "push", "x-gitea-delivery": "bad-1" }, body: BODY });
    expect(deliveries).toEqual(["gitea accepted", "gitea rejected"]);
    expect(JSON.parse(logs.trim().split("\n").at(-1)!)).toMatchObject({ msg: "webhook rejected", provider: "gitea", event: "push", delivery: "bad-1", reason: "X-Gitea-Signature does not match the body signed with the secret" });
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain('"after"');
    expect(logs).not.toContain(hmac(SECRET));
  });

  it.each([
    ["a wrong GitHub signature", { "x-hub-signature-256": `sha256=${hmac("nope")}` }],
    ["a wrong Gitea signature", { "x-gitea-signature": hmac("nope") }],
    ["a wrong GitLab token", { "x-gitlab-token": "nope" }],
    ["no signature", {}],
  ])("%s gets 401 and triggers nothing", async (_p, headers) => {
    const url = await start();
    const res = await fetch(`${url}/hooks/git`, { method: "POST", headers, body: BODY });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).not.toContain(SECRET);
    expect(triggered).toBe(0);
    expect(deliveries).toEqual([expect.stringMatching(/ rejected$/)]);
  });

  it("a GitHub ping is verified but triggers nothing", async () => {
    const url = await start();
    const res = await fetch(`${url}/hooks/git`, { method: "POST", headers: { "x-github-event": "ping", "x-hub-signature-256": `sha256=${hmac(SECRET)}` }, body: BODY });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ triggered: false, provider: "github", message: "pong" });
    expect(triggered).toBe(0);
    expect(deliveries).toEqual(["github ignored"]);
  });

  it("GET is 405", async () => {
    const url = await start();
    const res = await fetch(`${url}/hooks/git`);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  // Raw requests, so the test sees the answer even though the server stops reading.
  const post = (url: string, chunks: Buffer[], headers: Record<string, string | number>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/hooks/git`, { method: "POST", headers }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", (err) => (String(err).includes("EPIPE") || String(err).includes("ECONNRESET") ? undefined : reject(err)));
      for (const c of chunks) req.write(c);
      req.end();
    });

  it("a body declared over the limit gets 413 before it is read", async () => {
    const url = await start(1024);
    const big = Buffer.alloc(64 * 1024, "a");
    const res = await post(url, [big], { "content-length": big.length, "x-gitlab-token": SECRET });
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/over the limit of 1024/);
    expect(triggered).toBe(0);
    expect(deliveries).toEqual(["gitlab rejected"]);
  });

  it("a chunked body that grows over the limit gets 413", async () => {
    const url = await start(1024);
    const res = await post(url, [Buffer.alloc(800, "a"), Buffer.alloc(800, "b")], { "transfer-encoding": "chunked", "x-gitlab-token": SECRET });
    expect(res.status).toBe(413);
    expect(triggered).toBe(0);
  });

  it("a body at the limit is read and verified", async () => {
    const url = await start(BODY.length);
    const res = await fetch(`${url}/hooks/git`, { method: "POST", headers: { "x-gitlab-token": SECRET }, body: BODY });
    expect(res.status).toBe(202);
  });
});
