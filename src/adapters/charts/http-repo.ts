// A Helm HTTP repository: `index.yaml` lists every chart's versions with the
// sha256 of each archive and where it is; one read serves every chart of it.
import { parse as parseYaml } from "yaml";
import semver from "semver";
import { ChartSourceError } from "../../errors.ts";
import type { ChartVersion } from "../../model/types.ts";
import { basicAuth, failure, httpGet } from "./http.ts";
import { allowOpt } from "./credentials.ts";
import type { RepositoryAccess } from "./types.ts";

const MAX_INDEX_BYTES = 20 * 1024 * 1024;

export type Index = Map<string, ChartVersion[]>;

/** Headers for a request to `url`: credentials only for the repository's own origin (Helm's default). */
export function headersFor(repo: RepositoryAccess, url: string): Record<string, string> {
  return repo.auth && new URL(url).origin === new URL(repo.url).origin ? { authorization: basicAuth(repo.auth) } : {};
}

export async function readIndex(repo: RepositoryAccess, timeoutMs: number): Promise<Index> {
  const url = `${repo.url}/index.yaml`;
  const res = await httpGet(url, { headers: headersFor(repo, url), ...(repo.ca ? { ca: repo.ca } : {}), ...allowOpt(repo), timeoutMs, maxBytes: MAX_INDEX_BYTES }).catch((err: Error) => {
    throw new ChartSourceError(repo.name, `cannot read ${url}: ${failure(err)}`);
  });
  if (res.status === 401 || res.status === 403)
    throw new ChartSourceError(repo.name, `${url}: HTTP ${res.status}; check the files spec.auth names${repo.auth ? "" : " (the repository wants credentials, and none are configured)"}`);
  if (res.status !== 200) throw new ChartSourceError(repo.name, `${url}: HTTP ${res.status}; is spec.url a Helm repository (a folder with index.yaml)?`);
  let doc: unknown;
  try {
    doc = parseYaml(res.body.toString("utf8"), { maxAliasCount: 100 });
  } catch (err) {
    throw new ChartSourceError(repo.name, `${url} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (!entries || typeof entries !== "object") throw new ChartSourceError(repo.name, `${url} has no entries: not a Helm repository index`);
  const out: Index = new Map();
  for (const [name, list] of Object.entries(entries as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    const versions: ChartVersion[] = [];
    for (const e of list as { version?: unknown; digest?: unknown; urls?: unknown }[]) {
      const first = Array.isArray(e.urls) ? e.urls[0] : undefined;
      if (typeof e.version !== "string" || !semver.valid(e.version) || typeof first !== "string") continue;
      versions.push({
        version: e.version, // as written, so it still matches the archive's Chart.yaml
        ...(typeof e.digest === "string" && /^[a-f0-9]{64}$/.test(e.digest) ? { digest: `sha256:${e.digest}` } : {}),
        url: new URL(first, `${repo.url}/`).toString(),
      });
    }
    out.set(name, versions);
  }
  return out;
}
