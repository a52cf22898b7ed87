import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { HttpError, createRouter, sendJson, type Route } from "./router.ts";
import { listen, type Listening } from "./server.ts";

const routes: Route[] = [
  { method: "GET", path: "/a/{x}/b/{y}", handle: ({ res, params, query }) => sendJson(res, 200, { params, q: query.get("q") }) },
  { method: "POST", path: "/a/{x}/b/{y}", handle: ({ res }) => sendJson(res, 201, {}) },
  { method: "GET", path: "/gone", handle: () => Promise.reject(new HttpError(410, "it went away")) },
  { method: "GET", path: "/bug", handle: () => Promise.reject(new Error("a bug")) },
];

describe("router", () => {
  let server: Listening | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const url = async () => (server ??= await listen(createRouter(routes, createLogger({ level: "silent" })), 0, "127.0.0.1")).url;

  it.each([
    ["GET", "/a/1/b/two?q=z", 200, { params: { x: "1", y: "two" }, q: "z" }],
    ["GET", "/a/with%2Fslash/b/y", 200, { params: { x: "with/slash", y: "y" }, q: null }],
    ["POST", "/a/1/b/2", 201, {}],
    ["GET", "/a/1/b", 404, { error: "no route for /a/1/b" }],
    ["GET", "/nope", 404, { error: "no route for /nope" }],
    ["DELETE", "/a/1/b/2", 405, { error: "DELETE is not allowed on /a/1/b/2; use GET, POST" }],
    ["GET", "/gone", 410, { error: "it went away" }],
    ["GET", "/bug", 500, { error: "a bug" }],
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
});
