// berth serve --auth-file: the API's tokens, each kept as its sha256 only.
//
//   tokens:
//     - { name: ci-bot, sha256: 9f86d0..., role: viewer }
//     - { name: shop-oncall, sha256: 2c26b4..., role: operator, applications: [shop] }
//     - { name: platform, sha256: fcde2b..., role: admin }
//
// parseAuthFile is pure and reports every problem at once as file:line:col
// field: message; no message ever shows a sha256 (or a token pasted in its place).
import { readFileSync, statSync } from "node:fs";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { formatIssue, UsageError, ValidationError, type Issue } from "../errors.ts";
import type { Logger } from "../log.ts";
import { issueAt, list, show, sortIssues, type FieldPath } from "../model/issue.ts";
import { fileOrigin, makeOrigin } from "../model/origin.ts";
import { ROLES, type Role } from "../reconcile/actor.ts";
import type { TokenEntry } from "./auth.ts";

export const AUTH_FILE_MAX_BYTES = 256 * 1024;
const TOKEN_FIELDS = ["name", "sha256", "role", "applications"];
const HASH_HINT = 'printf %s "$TOKEN" | sha256sum';

const kindOf = (v: unknown) => (v === null || v === undefined ? "nothing" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a mapping" : `a ${typeof v}`);

export function parseAuthFile(file: string, text: string): { tokens: TokenEntry[]; issues: Issue[] } {
  if (Buffer.byteLength(text, "utf8") > AUTH_FILE_MAX_BYTES) {
    return { tokens: [], issues: [issueAt(fileOrigin(file), [], `the file is over ${AUTH_FILE_MAX_BYTES} bytes; an auth file lists tokens' names, roles and sha256 only`)] };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      tokens: [],
      issues: doc.errors.map((e) => {
        const p = lc.linePos(e.pos[0]);
        return { file, line: p.line, col: p.col, path: "", message: `YAML syntax error: ${e.message.split("\n")[0]}` };
      }),
    };
  }
  const origin = makeOrigin(file, doc, lc);
  const issues: Issue[] = [];
  const at = (path: FieldPath, message: string) => issues.push(issueAt(origin, path, message));
  const root: unknown = doc.toJS({ maxAliasCount: 10 });
  if (!isMap(doc.contents) || !root || typeof root !== "object") {
    at([], `the file must be a mapping with a list of tokens (tokens: [{ name, sha256, role }]), got ${kindOf(root)}`);
    return { tokens: [], issues };
  }
  for (const key of Object.keys(root)) if (key !== "tokens") at([key], `unknown field ${JSON.stringify(key)}; allowed here: tokens`);
  const items = (root as { tokens?: unknown }).tokens;
  if (!isSeq(doc.get("tokens", true)) || !Array.isArray(items) || items.length === 0) {
    at(["tokens"], `must be a list of at least one token ({ name, sha256, role: ${ROLES.join(" | ")}, applications? }), got ${Array.isArray(items) ? "an empty list" : kindOf(items)}`);
    return { tokens: [], issues: sortIssues(issues) };
  }

  const tokens: TokenEntry[] = [];
  const names = new Map<string, number>();
  const digests = new Map<string, number>();
  items.forEach((item: unknown, i) => {
    const here = (...p: FieldPath) => ["tokens", i, ...p];
    if (!item || typeof item !== "object" || Array.isArray(item)) {
      at(here(), `each token must be a mapping { name, sha256, role }, got ${kindOf(item)}`);
      return;
    }
    const t = item as Record<string, unknown>;
    for (const key of Object.keys(t)) if (!TOKEN_FIELDS.includes(key)) at(here(key), `unknown field ${JSON.stringify(key)}; allowed here: ${list(TOKEN_FIELDS)}`);
    let ok = true;
    const fail = (path: FieldPath, message: string) => ((ok = false), at(path, message));

    const name = t.name;
    if (typeof name !== "string" || name.trim() === "") fail(here("name"), `required: the token's name, as actions record it (e.g. ci-bot), got ${kindOf(name)}`);
    else if (names.has(name)) fail(here("name"), `${show(name)} is also the name of tokens[${names.get(name)}]; each token needs its own name`);
    else names.set(name, i);

    // Never echo the value: it may be a token pasted where its hash belongs.
    const hash = t.sha256;
    if (typeof hash !== "string") fail(here("sha256"), `required: the token's sha256 as 64 hex digits (${HASH_HINT}), got ${kindOf(hash)}`);
    else if (!/^[0-9a-fA-F]{64}$/.test(hash)) fail(here("sha256"), `must be the token's sha256 as 64 hex digits (${HASH_HINT}), got ${hash.length} characters that are not; the file keeps hashes, never tokens`);
    else if (digests.has(hash.toLowerCase())) fail(here("sha256"), `is the same as tokens[${digests.get(hash.toLowerCase())}]'s: one token, one entry`);
    else digests.set(hash.toLowerCase(), i);

    const role = t.role;
    if (!ROLES.includes(role as Role)) fail(here("role"), `must be one of ${list(ROLES)} (viewer reads; operator reads and acts on its applications; admin does everything), got ${show(role)}`);

    const apps = t.applications;
    if (role === "operator") {
      if (!Array.isArray(apps) || apps.length === 0) fail(here("applications"), `an operator needs the applications it may act on (applications: [shop]), got ${kindOf(apps)}`);
      else apps.forEach((a: unknown, j) => (typeof a !== "string" || a === "" ? fail(here("applications", j), `must be an application's name, got ${show(a)}`) : undefined));
    } else if (apps !== undefined && ROLES.includes(role as Role)) {
      fail(here("applications"), `only an operator lists applications; a ${String(role)} ${role === "viewer" ? "acts on none" : "acts on all"}`);
    }
    if (ok) tokens.push({ name: name as string, digest: Buffer.from((hash as string).toLowerCase(), "hex"), role: role as Role, ...(role === "operator" ? { applications: [...new Set(apps as string[])] } : {}) });
  });
  return { tokens: issues.length ? [] : tokens, issues: sortIssues(issues) };
}

/** Reads and checks the file; a problem is refused with every issue (ValidationError), an unreadable file as a usage error. */
export function readAuthFile(path: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UsageError(`--auth-file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give a readable YAML file of tokens (name, sha256, role)`);
  }
  const { tokens, issues } = parseAuthFile(path, text);
  if (issues.length) throw new ValidationError(issues);
  return tokens;
}

export interface AuthFileOptions {
  log: Logger;
  /** How often the file's mtime is looked at, at most (a Secret's update, a revoked token). Default 2 s. */
  checkEveryMs?: number;
  now?: () => number;
}

/**
 * The tokens of `path`, read now (throws when it is bad) and again when the
 * file changes; a changed file that is bad is logged and the tokens read
 * before stay, so a typo never opens or closes the API by itself.
 */
export function watchAuthFile(path: string, o: AuthFileOptions): () => readonly TokenEntry[] {
  const every = o.checkEveryMs ?? 2000;
  const now = o.now ?? Date.now;
  const stamp = () => {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  };
  let tokens: readonly TokenEntry[] = readAuthFile(path);
  let seen = stamp();
  let checked = now();
  return () => {
    if (now() - checked < every) return tokens;
    checked = now();
    try {
      const s = stamp();
      if (s === seen) return tokens;
      seen = s;
      tokens = readAuthFile(path);
      o.log.info({ file: path, tokens: tokens.length }, "auth file changed; its tokens are in use");
    } catch (err) {
      const problems = err instanceof ValidationError ? err.issues.map(formatIssue) : [(err as Error).message];
      o.log.error({ file: path, problems }, "auth file is unreadable or invalid; keeping the tokens read before");
    }
    return tokens;
  };
}
