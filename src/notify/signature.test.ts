import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signBody, verifySignature } from "./signature.ts";

describe("signBody", () => {
  it("is sha256=<hex HMAC-SHA256 of the body>, as a receiver computes it", () => {
    const body = '{"event":"failed"}';
    expect(signBody(body, "k3y")).toBe(`sha256=${createHmac("sha256", "k3y").update(body).digest("hex")}`);
  });

  it.each([
    ["the right key and body", "k3y", '{"a":1}', true],
    ["another key", "other", '{"a":1}', false],
    ["a changed body", "k3y", '{"a":2}', false],
  ])("verifies with %s: %s", (_n, key, body, ok) => {
    expect(verifySignature(body, key, signBody('{"a":1}', "k3y"))).toBe(ok);
  });

  it("refuses a missing or short header", () => {
    expect(verifySignature("x", "k", undefined)).toBe(false);
    expect(verifySignature("x", "k", "sha256=")).toBe(false);
  });
});
