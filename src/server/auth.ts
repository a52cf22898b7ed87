// Who may do what on the HTTP API. Pure: the tokens of --auth-file (their
// sha256 only), a request's Authorization header and what its route needs in,
// a decision out. Every entry is compared in constant time, and the loop never
// stops at the first match, so timing tells nothing about which or how many.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Actor, Role } from "../reconcile/actor.ts";

export type { Role };

/** One token of the auth file. */
export interface TokenEntry {
  name: string;
  /** sha256 of the token (32 bytes). */
  digest: Buffer;
  role: Role;
  /** operator: the applications it may act on. */
  applications?: readonly string[];
}

/** The caller, as handlers see it: recorded with the actions it asks for. */
export interface Identity extends Actor {
  applications?: readonly string[];
}

/**
 * What a route needs: `public` (probes, metrics, the signed webhook) nothing;
 * `read` any known token; an action, a token that may act on the application
 * `action(params)` names (undefined: the application cannot be told).
 */
export type Access = "public" | "read" | { action: (params: Readonly<Record<string, string>>) => string | undefined };

export type Decision = { allow: true; identity?: Identity } | { allow: false; status: 401 | 403; error: string };

export interface DecideInput {
  /** The auth file's tokens; undefined: serve runs without --auth-file. */
  tokens: readonly TokenEntry[] | undefined;
  /** The request's Authorization header. */
  authorization: string | undefined;
  access: Access;
  params: Readonly<Record<string, string>>;
}

export const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** The entry whose digest is the token's, comparing with every entry in constant time. */
export function findToken(tokens: readonly TokenEntry[], token: string): TokenEntry | undefined {
  const digest = sha256(token);
  let found: TokenEntry | undefined;
  for (const t of tokens) {
    const same = t.digest.length === digest.length && timingSafeEqual(t.digest, digest);
    if (same && !found) found = t;
  }
  return found;
}

/** The token of `Authorization: Bearer <token>`, or why there is none. */
export function bearer(authorization: string | undefined): { token: string } | { error: string } {
  if (!authorization) return { error: "this needs a token: send Authorization: Bearer <token>" };
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!m) return { error: "the Authorization header must be Bearer <token>" };
  return { token: m[1]! };
}

const identityOf = (t: TokenEntry): Identity => ({ name: t.name, role: t.role, ...(t.applications ? { applications: t.applications } : {}) });

export function decide(i: DecideInput): Decision {
  if (i.access === "public") return { allow: true };
  if (!i.tokens) {
    // Without --auth-file the API is on loopback only, and nobody may act.
    if (i.access === "read") return { allow: true };
    return { allow: false, status: 403, error: "actions need a token: start berth serve with --auth-file" };
  }
  const b = bearer(i.authorization);
  if ("error" in b) return { allow: false, status: 401, error: b.error };
  const entry = findToken(i.tokens, b.token);
  if (!entry) return { allow: false, status: 401, error: "unknown token" };
  const identity = identityOf(entry);
  if (i.access === "read" || entry.role === "admin") return { allow: true, identity };
  if (entry.role === "viewer") return { allow: false, status: 403, error: `token ${entry.name} is a viewer: it may read, not act` };
  const application = i.access.action(i.params);
  if (application === undefined) return { allow: false, status: 403, error: `token ${entry.name} is an operator, and the application of this release is not known; only an admin may act on it` };
  if (!(entry.applications ?? []).includes(application)) {
    return { allow: false, status: 403, error: `token ${entry.name} may act on ${(entry.applications ?? []).join(", ") || "no application"}, not on ${application}` };
  }
  return { allow: true, identity };
}
