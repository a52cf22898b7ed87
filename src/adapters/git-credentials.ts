// berth's own credentials for an http(s) git remote: a token the operator
// hands over in a file (--git-token-file). git gets it as an
// `http.<origin>/.extraHeader` through GIT_CONFIG_* variables in the child's
// environment only — never on a command line (ps), in .git/config or
// FETCH_HEAD, in a log line, a status or an error — and only for the
// source's own origin, so a redirect or submodule elsewhere never carries it.
import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.ts";

export const GIT_TOKEN_FILE_FLAG = "--git-token-file FILE (or BERTH_GIT_TOKEN_FILE=FILE)";

export interface HttpCredentials {
  /** Basic-auth user name; forges take a token as the password whatever the name (GitHub, Gitea, GitLab). */
  username: string;
  token: string;
}

/** Where the credentials come from: read again before each fetch, so a rotated token (a remounted Secret) is picked up. */
export interface TokenFileCredentials {
  tokenFile: string;
  username: string;
}

export const DEFAULT_GIT_USERNAME = "x-access-token";

/**
 * The token in `file`: its first line, surrounding white space dropped.
 * Errors name the file and the flag, never any of its content.
 */
export async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UsageError(`${GIT_TOKEN_FILE_FLAG}: cannot read ${file} (${code}); give a file that holds the token on its first line, readable by berth`);
  }
  const token = (text.split(/\r?\n/)[0] ?? "").trim();
  if (token === "") throw new UsageError(`${GIT_TOKEN_FILE_FLAG}: ${file} is empty; its first line must be the token`);
  if (/\s/.test(token)) throw new UsageError(`${GIT_TOKEN_FILE_FLAG}: ${file}: the token's line holds white space; give the token alone`);
  return token;
}

/** `https://host:port/` of an http(s) URL, or undefined for any other kind of source. */
export function httpOrigin(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  return u.protocol === "http:" || u.protocol === "https:" ? `${u.protocol}//${u.host}/` : undefined;
}

/** True when the URL carries a user name or password of its own. */
export function hasUrlCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== "" || u.password !== "";
  } catch {
    return false;
  }
}

/**
 * Environment variables that make git send `Authorization: Basic …` to
 * `url`'s origin (and nowhere else). Empty for a URL that is not http(s).
 */
export function credentialEnv(url: string, credentials: HttpCredentials): Record<string, string> {
  const origin = httpOrigin(url);
  if (origin === undefined) return {};
  const basic = Buffer.from(`${credentials.username}:${credentials.token}`).toString("base64");
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: `http.${origin}.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
}

/** What git printed when the remote wanted credentials it did not get, or refused those it got. */
export function isAuthFailure(stderr: string): boolean {
  return /could not read (Username|Password)|Authentication failed|terminal prompts disabled|returned error: 40[13]|HTTP Basic: Access denied|Invalid username or (password|token)/i.test(stderr);
}
