import { Type } from "@sinclair/typebox";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { ErrorBody } from "./api-schemas.ts";
import { sha256, type TokenEntry } from "./auth.ts";
import { HttpError, createRouter, defineRoute, type Route, type RouterOptions } from "./router.ts";
import { listen, type Listening } from "./server.ts";

const Echo = Type.Object({}, { additionalProperties: true });
const ok = { 200: { description: "OK", schema: Echo } };
const routes: Route[] = [
  defineRoute({
    method: "GET",
    path: "/a/{x}/b/{y}",
    summary: "echo",
    access: "public",
    query: Type.Object({ q: Type.Optional(Type.String()) }),
    responses: ok,
    handle: ({ send, params, query }) => send(200, { params, q: query.q ?? null }),
  }),
  defineRoute({ method: "POST", path: "/a/{x}/b/{y}", summary: "post", access: "public", responses: { 201: { description: "made", schema: Echo } }, handle: ({ send }) => send(201, {}) }),
  defineRoute({ method: "GET", path: "/gone", summary: "gone", access: "public", responses: { 410: { description: "gone", schema: ErrorBody } }, handle: () => Promise.reject(new HttpError(410, "it went away")) }),
  defineRoute({ method: "GET", path: "/bug", summary: "bug", access: "public", responses: ok, handle: () => Promise.reject(new Error("a bug")) }),
  defineRoute({
    method: "GET",
    path: "/logs/{n}",
    summary: "typed params and query",
    access: "read",
    params: Type.Object({ n: Type.Integer({ minimum: 1 }) }),
    query: Type.Object({ tail: Type.Optional(Type.Integer({ minimum: 0 })), follow: Type.Optional(Type.Boolean()) }),
    responses: ok,
    handle: ({ send, params, query, identity }) => send(200, { n: params.n, tail: query.tail ?? null, follow: query.follow ?? null, who: identity?.name ?? null }),
  }),
  defineRoute({
    method: "POST",
    path: "/apps/{app}/act",
    summary: "an action with a body",
    access: { action: (p) => p.app },
    params: Type.Object({ app: Type.String() }),
    body: Type.Object({ to: Type.Integer(), why: Type.Optional(Type.String()) }, { additionalProperties: false }),
    responses: ok,
    handle: ({ send, body, identity }) => send(200, { to: body.to, by: identity ? `${identity.name}/${identity.role}` : null }),
  }),
];

const TOKENS: TokenEntry[] = [
  { name: "viewer", digest: sha256("v-token"), role: "viewer" },
  { name: "shop-op", digest: sha256("o-token"), role: "operator", applications: ["shop"] },
];

describe("router", () => {
  let server: Listening | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const url = async (o: RouterOptions = {}) => (server ??= await listen(createRouter(routes, createLogger({ level: "silent" }), o), 0, "127.0.0.1")).url;

  it.each([
    ["GET", "/a/1/b/two?q=z", 200, { params: { x: "1", y: "two" }, q: "z" }],
    ["GET", "/a/with%2Fslash/b/y", 200, { params: { x: "with/slash", y: "y" }, q: null }],
    ["GET", "/a/%E0%A4%A/b/y", 400, { error: "/a/%E0%A4%A/b/y: a path segment is not valid percent-encoding" }],
    ["POST", "/a/1/b/2", 201, {}],
    ["GET", "/a/1/b", 404, { error: "no route for /a/1/b" }],
    ["GET", "/nope", 404, { error: "no route for /nope" }],
    ["DELETE", "/a/1/b/2", 405, { error: "DELETE is not allowed on /a/1/b/2; use GET, POST" }],
    ["GET", "/gone", 410, { error: "it went away" }],
    ["GET", "/bug", 500, { error: "a bug" }],
    ["GET", "/logs/3?tail=20&follow=true", 200, { n: 3, tail: 20, follow: true, who: null }],
    ["GET", "/logs/3?other=1", 200, { n: 3, tail: null, follow: null, who: null }],
    ["GET", "/logs/0", 400, { error: "params.n: must be >= 1, got 0" }],
    ["GET", "/logs/3?tail=lots", 400, { error: 'query.tail: must be of type integer, got a string "lots"' }],
    ["GET", "/logs/3?tail=-1&follow=maybe", 400, { error: 'query.tail: must be >= 0, got -1; query.follow: must be of type boolean, got a string "maybe"' }],
  ])("%s %s -> %i", async (method, path, status, body) => {
    const res = await fetch(`${await url()}${path}`, { method });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
  });

  it("answers HEAD like GET without a body", async () => {
    const res = await fetch(`${await url()}/a/1/b/2`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it.each([
    ["no body", undefined, 400, "body.to: required field is missing"],
    ["not JSON", "{to:", 400, "body: not JSON"],
    ["a wrong type", '{"to":"x"}', 400, 'body.to: must be of type integer, got a string "x"'],
    ["an unknown field", '{"to":1,"force":true}', 400, 'body.force: unknown field "force"; allowed here: to, why'],
    ["a good body", '{"to":2}', 200, '{"to":2,"by":"shop-op/operator"}'],
  ])("validates a JSON body: %s", async (_n, body, status, answer) => {
    const res = await fetch(`${await url({ tokens: () => TOKENS })}/apps/shop/act`, { method: "POST", headers: { authorization: "Bearer o-token" }, ...(body !== undefined ? { body } : {}) });
    expect(res.status).toBe(status);
    const got = (await res.json()) as { error?: string };
    if (status === 200) expect(got).toEqual(JSON.parse(answer));
    else expect(got.error).toContain(answer);
  });

  it("refuses an unknown token with 401 and WWW-Authenticate before looking at the request, and a role it lacks with 403", async () => {
    const base = await url({ tokens: () => TOKENS });
    const noToken = await fetch(`${base}/logs/0?tail=bad`);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toBe('Bearer realm="berth"');
    expect((await fetch(`${base}/apps/shop/act`, { method: "POST", headers: { authorization: "Bearer wrong" }, body: "junk" })).status).toBe(401);
    const viewer = await fetch(`${base}/apps/shop/act`, { method: "POST", headers: { authorization: "Bearer v-token" }, body: '{"to":1}' });
    expect(viewer.status).toBe(403);
    expect(viewer.headers.get("www-authenticate")).toBeNull();
    expect((await fetch(`${base}/apps/blog/act`, { method: "POST", headers: { authorization: "Bearer o-token" }, body: '{"to":1}' })).status).toBe(403);
    expect(await (await fetch(`${base}/logs/3`, { headers: { authorization: "Bearer v-token" } })).json()).toMatchObject({ who: "viewer" });
    // public routes need nothing
    expect((await fetch(`${base}/a/1/b/2`)).status).toBe(200);
  });
});
