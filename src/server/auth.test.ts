import { describe, expect, it } from "vitest";
import { bearer, decide, findToken, sha256, type Access, type TokenEntry } from "./auth.ts";

const entry = (name: string, role: TokenEntry["role"], applications?: string[]): TokenEntry => ({ name, digest: sha256(`${name}-token`), role, ...(applications ? { applications } : {}) });
const TOKENS = [entry("ci-bot", "viewer"), entry("shop-oncall", "operator", ["shop"]), entry("platform", "admin")];
const appOf: Access = { action: (p) => ({ "shop-api": "shop", "blog-web": "blog" })[p.release!] };
const params = (release: string) => ({ cluster: "east", release });

describe("decide", () => {
  it.each<[string, readonly TokenEntry[] | undefined, string | undefined, Access, string, { allow: boolean; status?: number; error?: RegExp; who?: string }]>([
    ["public needs nothing, even with --auth-file", TOKENS, undefined, "public", "shop-api", { allow: true }],
    ["no --auth-file: reads are open (loopback only)", undefined, undefined, "read", "shop-api", { allow: true }],
    ["no --auth-file: a token is ignored for reads", undefined, "Bearer platform-token", "read", "shop-api", { allow: true }],
    ["no --auth-file: nobody acts", undefined, "Bearer platform-token", appOf, "shop-api", { allow: false, status: 403, error: /start berth serve with --auth-file/ }],
    ["no token", TOKENS, undefined, "read", "shop-api", { allow: false, status: 401, error: /send Authorization: Bearer <token>/ }],
    ["not a Bearer header", TOKENS, "Basic Y2k6Ym90", "read", "shop-api", { allow: false, status: 401, error: /must be Bearer <token>/ }],
    ["unknown token", TOKENS, "Bearer nope", "read", "shop-api", { allow: false, status: 401, error: /^unknown token$/ }],
    ["the sha256 itself is not a token", TOKENS, `Bearer ${sha256("platform-token").toString("hex")}`, "read", "shop-api", { allow: false, status: 401 }],
    ["viewer reads", TOKENS, "Bearer ci-bot-token", "read", "shop-api", { allow: true, who: "ci-bot" }],
    ["bearer is case-insensitive", TOKENS, "bearer ci-bot-token", "read", "shop-api", { allow: true, who: "ci-bot" }],
    ["viewer may not act", TOKENS, "Bearer ci-bot-token", appOf, "shop-api", { allow: false, status: 403, error: /ci-bot is a viewer/ }],
    ["operator reads anything", TOKENS, "Bearer shop-oncall-token", "read", "blog-web", { allow: true, who: "shop-oncall" }],
    ["operator acts on its application", TOKENS, "Bearer shop-oncall-token", appOf, "shop-api", { allow: true, who: "shop-oncall" }],
    ["operator of shop acting on blog", TOKENS, "Bearer shop-oncall-token", appOf, "blog-web", { allow: false, status: 403, error: /shop-oncall may act on shop, not on blog/ }],
    ["operator acting where the application is unknown", TOKENS, "Bearer shop-oncall-token", appOf, "mystery", { allow: false, status: 403, error: /only an admin/ }],
    ["admin acts anywhere", TOKENS, "Bearer platform-token", appOf, "blog-web", { allow: true, who: "platform" }],
    ["admin acts where the application is unknown", TOKENS, "Bearer platform-token", appOf, "mystery", { allow: true, who: "platform" }],
  ])("%s", (_name, tokens, authorization, access, release, want) => {
    const d = decide({ tokens, authorization, access, params: params(release) });
    expect(d.allow).toBe(want.allow);
    if (!d.allow) {
      expect(d.status).toBe(want.status);
      if (want.error) expect(d.error).toMatch(want.error);
    } else {
      expect(d.identity?.name).toBe(want.who);
    }
  });

  it("gives the caller's name, role and applications, never the token or its digest", () => {
    const d = decide({ tokens: TOKENS, authorization: "Bearer shop-oncall-token", access: "read", params: {} });
    expect(d).toEqual({ allow: true, identity: { name: "shop-oncall", role: "operator", applications: ["shop"] } });
  });
});

describe("findToken", () => {
  it("finds the entry whose digest is the token's, and the first of duplicates", () => {
    const dup = [...TOKENS, { ...entry("platform", "viewer"), name: "again" }];
    expect(findToken(dup, "platform-token")?.name).toBe("platform");
    expect(findToken(TOKENS, "")).toBeUndefined();
  });
});

describe("bearer", () => {
  it.each([
    ["Bearer abc", { token: "abc" }],
    ["Bearer  abc  ", { token: "abc" }],
    ["Bearer", { error: expect.stringMatching(/Bearer <token>/) }],
    ["Bearer a b", { error: expect.stringMatching(/Bearer <token>/) }],
  ])("%j", (header, want) => expect(bearer(header)).toEqual(want));
});
