// Which keys look secret, and their values masked for a diff a pull request
// shows to everyone who can read it. A key looks secret when one of its words
// (split at case changes and at anything not a letter or digit) is password,
// passwd, token, secret, key, apikey, credential(s), private or passphrase, or
// when it contains password, passwd, secret, token, credential or apikey
// (`dbpassword`). A key whose last word is name, ref, file or path names a
// secret rather than holding one, and stays, all of it (secretKeyRef).
// Everything else under a secret-looking key is masked (mappings keep their
// keys), and so is `value` beside a secret-looking `name` (an env entry) and
// the argument of a secret-looking `--flag`. Booleans and null stay: they never
// hold a secret, and hiding `enabled: true` helps no one. In any other
// string, a URL's password and a `--token=x` inside a script are masked. Pure.
import type { JsonObject } from "../model/types.ts";
import { isPlainObject } from "./merge.ts";

export const MASK = "••••••";
/** The head side of a masked value that differs from the base side's. */
export const MASK_CHANGED = "•••••• (changed)";

const WORDS = new Set(["password", "passwd", "token", "secret", "key", "apikey", "credential", "private", "passphrase"]);
const INSIDE = ["password", "passwd", "secret", "token", "credential", "apikey"];
const REFERENCE = new Set(["name", "ref", "file", "path"]);

/** `DB_PASSWORD` -> db, password; `apiKeyRef` -> api, key, ref; plurals as their singular. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase().replace(/s$/, ""));
}

/** A key that names a secret (`secretName`, `secretKeyRef`, `passwordFile`): what it holds is no secret. */
export function isReferenceKey(key: string): boolean {
  const last = keyWords(key).at(-1);
  return last !== undefined && REFERENCE.has(last);
}

export function looksSecret(key: string): boolean {
  if (isReferenceKey(key)) return false;
  if (keyWords(key).some((w) => WORDS.has(w))) return true;
  const lower = key.toLowerCase();
  return INSIDE.some((s) => lower.includes(s));
}

export interface MaskOptions {
  /**
   * Rendered Kubernetes objects: a bare `key` field is a selector or a
   * reference there (tolerations, matchExpressions, secretKeyRef, items), not
   * a secret; in chart values `tls.key` is one.
   */
  manifest?: boolean;
  /** Top-level fields masked whole whatever their keys (a Secret's `data` and `stringData`). */
  secretFields?: readonly string[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

type Side = "base" | "head";

function secretKey(key: string, o: MaskOptions): boolean {
  if (o.manifest && key === "key") return false;
  return looksSecret(key);
}

/** `scheme://user:password@host`: the password of a URL's user. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)([^\s@/]+)(@)/gi;
/** `--password=x` inside a longer string (a `sh -c` script). */
const INLINE_FLAG = /(^|\s)(--?[A-Za-z][A-Za-z0-9_.-]*=)(\S+)/g;

/**
 * A string under no secret-looking key with what still looks secret in it
 * masked: a URL's password (`DATABASE_URL: postgres://app:pw@db`) and a
 * `--token=x` in a script. A change there shows as a changed line whose two
 * sides read the same.
 */
export function maskInline(s: string): string {
  return s
    .replace(URL_PASSWORD, (_, head: string, _pw: string, at: string) => `${head}${MASK}${at}`)
    .replace(INLINE_FLAG, (all, pre: string, flag: string) => (looksSecret(flag.replace(/^-+|=$/g, "")) ? `${pre}${flag}${MASK}` : all));
}

/** A flag (`--token`, `-password`) whose value follows it or is joined by `=`. */
const FLAG = /^--?([A-Za-z][A-Za-z0-9_.-]*)(=(.*))?$/s;

/** A list of strings (command, args): `--token=x` and `--token x` lose x. */
function maskArgs(v: string[], other: unknown, side: Side): string[] {
  const theirs = Array.isArray(other) ? other : [];
  const out: string[] = [...v];
  for (let i = 0; i < v.length; i++) {
    const m = FLAG.exec(v[i] as string);
    if (!m || !looksSecret(m[1] as string)) {
      out[i] = maskInline(v[i] as string);
      continue;
    }
    const arg = v[i] as string;
    if (m[2] !== undefined) {
      const changed = side === "head" && theirs[i] !== undefined && theirs[i] !== arg;
      out[i] = `${arg.slice(0, arg.indexOf("=") + 1)}${changed ? MASK_CHANGED : MASK}`;
    } else if (i + 1 < v.length && !(v[i + 1] as string).startsWith("-")) {
      out[i + 1] = masked(v[i + 1], theirs[i + 1], side) as string;
      i++;
    }
  }
  return out;
}

const nameOf = (x: unknown) => (isPlainObject(x) && typeof x.name === "string" ? x.name : undefined);

/** The element of the other side's list at the same place: by `name` for named entries (env, containers), else by index. */
function counterpart(x: unknown, i: number, other: unknown): unknown {
  if (!Array.isArray(other)) return undefined;
  const name = nameOf(x);
  return name === undefined ? other[i] : other.find((y) => nameOf(y) === name);
}

function masked(v: unknown, other: unknown, side: Side): unknown {
  if (typeof v === "boolean" || v === null || v === undefined) return v;
  return side === "head" && other !== undefined && !same(v, other) ? MASK_CHANGED : MASK;
}

/** `v` with its secrets masked; `other` is the same place on the other side, to say whether a masked value changed. */
function walk(v: unknown, other: unknown, secret: boolean, side: Side, o: MaskOptions, top = false): unknown {
  if (Array.isArray(v)) {
    if (!secret && v.length > 0 && v.every((x) => typeof x === "string")) return maskArgs(v as string[], other, side);
    return v.map((x, i) => walk(x, counterpart(x, i, other), secret, side, o));
  }
  if (isPlainObject(v)) {
    const theirs = isPlainObject(other) ? other : {};
    // an env entry: { name: DB_PASSWORD, value: ... }
    const envSecret = typeof v.name === "string" && looksSecret(v.name);
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const whole = top && o.secretFields?.includes(k);
      if (!whole && isReferenceKey(k)) {
        // a reference (secretKeyRef, secretName): it names where a secret is, all of it
        out[k] = x;
        continue;
      }
      const inner = whole || (k === "value" && envSecret) || secret || secretKey(k, o);
      out[k] = whole && !isPlainObject(x) ? masked(x, theirs[k], side) : walk(x, theirs[k], inner, side, o);
    }
    return out;
  }
  if (secret) return masked(v, other, side);
  return typeof v === "string" ? maskInline(v) : v;
}

/** One value with its secrets masked (`secret`: it sits under a secret-looking key already). */
export function maskValue(v: unknown, o: MaskOptions & { secret?: boolean } = {}): unknown {
  return walk(v, undefined, o.secret ?? false, "base", o, true);
}

/**
 * Both sides of a change masked: the head's masked values that differ from
 * the base's read `•••••• (changed)`, so a reviewer still sees that a secret moved.
 */
export function maskPair<T>(base: T, head: T, o: MaskOptions & { secret?: boolean } = {}): [T, T] {
  const s = o.secret ?? false;
  return [walk(base, head, s, "base", o, true) as T, walk(head, base, s, "head", o, true) as T];
}

/** Whether a flattened value path (`db.credentials.user`) lies under a secret-looking key: the last key that decides, a reference resetting it. */
export function pathLooksSecret(path: string): boolean {
  let secret = false;
  for (const seg of path.split(".")) {
    if (isReferenceKey(seg)) secret = false;
    else if (looksSecret(seg)) secret = true;
  }
  return secret;
}
