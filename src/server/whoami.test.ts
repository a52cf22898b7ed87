import { describe, expect, it } from "vitest";
import { createLogger } from "../log.ts";
import { sha256, type TokenEntry } from "./auth.ts";
import { createRouter } from "./router.ts";
import { listen } from "./server.ts";
import { whoamiRoute } from "./whoami.ts";

const TOKENS: TokenEntry[] = [
  { name: "ci-bot", digest: sha256("viewer-t0ken"), role: "viewer" },
  { name: "shop-oncall", digest: sha256("operator-t0ken"), role: "operator", applications: ["shop"] },
  { name: "platform", digest: sha256("admin-t0ken"), role: "admin" },
];

async function ask(tokens: TokenEntry[] | undefined, token?: string): Promise<{ status: number; body: unknown }> {
  const server = await listen(createRouter([whoamiRoute()], createLogger({ level: "silent" }), tokens ? { tokens: () => tokens } : {}), 0);
  try {
    const res = await fetch(`${server.url}/api/v1/whoami`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, body: await res.json() };
  } finally {
    await server.close();
  }
}

describe("GET /api/v1/whoami", () => {
  it.each<[string, TokenEntry[] | undefined, string | undefined, number, unknown]>([
    ["without --auth-file: anonymous", undefined, undefined, 200, { role: "anonymous" }],
    ["without --auth-file a token changes nothing", undefined, "admin-t0ken", 200, { role: "anonymous" }],
    ["a viewer", TOKENS, "viewer-t0ken", 200, { name: "ci-bot", role: "viewer" }],
    ["an operator, with its applications", TOKENS, "operator-t0ken", 200, { name: "shop-oncall", role: "operator", applications: ["shop"] }],
    ["an admin", TOKENS, "admin-t0ken", 200, { name: "platform", role: "admin" }],
    ["no token", TOKENS, undefined, 401, { error: expect.stringMatching(/this needs a token/) }],
    ["an unknown token", TOKENS, "guess", 401, { error: "unknown token" }],
  ])("%s", async (_name, tokens, token, status, body) => {
    expect(await ask(tokens, token)).toEqual({ status, body });
  });
});
