// A ChartRepository's credentials and CA come from files on the berth host,
// inside the directories the operator names: a commit can point a repository
// at a file, never at one the operator did not hand over.
import { readFile, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { ChartSourceError } from "../../errors.ts";
import { hostPathProblem, REPOSITORY_CREDENTIALS_DIR_FLAG } from "../../model/kubeconfig-path.ts";
import type { ChartRepository } from "../../model/types.ts";
import { isInside } from "../inside-root.ts";
import type { RepositoryAccess } from "./types.ts";

export interface CredentialPolicy {
  /** --repository-credentials-dir: a credential file must resolve (symlinks followed) inside one of these. */
  dirs: string[];
  /** --repository-url-allow: when given, a ChartRepository's URL must be one of these or below one. */
  urls?: string[];
}

export const REPOSITORY_URL_FLAG = "--repository-url-allow URL (or BERTH_REPOSITORY_URLS=URL,URL)";

/** Whether the operator lets berth read `url` (no list: every URL). */
export function urlAllowed(url: string, allowed: readonly string[] | undefined): boolean {
  if (!allowed) return true;
  const u = url.replace(/\/+$/, "");
  return allowed.some((a) => {
    const p = a.replace(/\/+$/, "");
    return u === p || u.startsWith(`${p}/`);
  });
}

export async function readAccess(repo: ChartRepository, policy: CredentialPolicy): Promise<RepositoryAccess> {
  const s = repo.spec;
  const name = repo.metadata.name;
  if (s.insecure && !s.url.startsWith("oci://")) throw new ChartSourceError(name, "spec.insecure is for oci:// registries only");
  // a commit names the URL, the operator decides what berth may reach
  if (!urlAllowed(s.url, policy.urls))
    throw new ChartSourceError(name, `spec.url ${s.url} is not one the operator allows (${policy.urls!.join(", ") || "none"}); nothing was requested; ask for it to be added with ${REPOSITORY_URL_FLAG}`);
  const read = async (field: string, raw: string): Promise<string> => {
    const spelling = hostPathProblem(raw, REPOSITORY_CREDENTIALS_DIR_FLAG);
    if (spelling) throw new ChartSourceError(name, `${field}: ${spelling}`);
    const path = raw.startsWith("~/") ? homedir() + raw.slice(1) : raw;
    const file = await realpath(path).catch(() => undefined);
    const allowed = await Promise.all(policy.dirs.map((d) => realpath(d).catch(() => d)));
    // the same answer whether the file is missing or outside: nothing is learnt of files berth may not read
    if (!file || !allowed.some((d) => isInside(d, file)))
      throw new ChartSourceError(name, `${field}: ${raw} is not a file inside the directories the operator allows (${policy.dirs.join(", ") || "none"}); put it in one of them or start berth with ${REPOSITORY_CREDENTIALS_DIR_FLAG}`);
    return readFile(file, "utf8");
  };
  const out: RepositoryAccess = { name, url: s.url.replace(/\/+$/, "") };
  if (s.auth) {
    out.auth = {
      username: (await read("spec.auth.usernameFile", s.auth.usernameFile)).replace(/\r?\n$/, ""),
      password: (await read("spec.auth.passwordFile", s.auth.passwordFile)).replace(/\r?\n$/, ""),
    };
  }
  if (s.caFile) out.ca = await read("spec.caFile", s.caFile);
  if (s.insecure) out.insecure = true;
  if (policy.urls) out.allowed = [...policy.urls];
  return out;
}

/** The check every request for `repo` passes (http.ts `allow`): its own origin, or a URL the operator allows. */
export function allowFor(repo: RepositoryAccess): ((url: string) => boolean) | undefined {
  if (!repo.allowed) return undefined;
  const own = new URL(repo.url.replace(/^oci:/, repo.insecure ? "http:" : "https:")).origin;
  const allowed = repo.allowed.map((a) => a.replace(/^oci:/, repo.insecure ? "http:" : "https:"));
  return (url) => new URL(url).origin === own || urlAllowed(url, allowed);
}

/** `allow` for an httpGet of this repository, when the operator set a list. */
export function allowOpt(repo: RepositoryAccess): { allow?: (url: string) => boolean } {
  const allow = allowFor(repo);
  return allow ? { allow } : {};
}
