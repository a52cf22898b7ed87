// The ChartFetcher: Helm HTTP repositories and OCI registries behind one
// interface, index reads remembered for their interval, archives cached by
// content so a chart already held is never fetched again.
import { ChartSourceError, redactCredentials } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import type { ChartVersion } from "../../model/types.ts";
import { createArchiveCache, sha256 } from "./cache.ts";
import { headersFor, readIndex, type Index } from "./http-repo.ts";
import { failure, httpGet } from "./http.ts";
import { allowOpt } from "./credentials.ts";
import { createOciClient } from "./oci.ts";
import type { ChartFetcher, RepositoryAccess } from "./types.ts";

const MAX_CHART_BYTES = 20 * 1024 * 1024;

export interface ChartFetcherOptions {
  cacheDir: string;
  log?: Logger;
  /** Per request (default 60 s). */
  timeoutMs?: number;
}

const isOci = (repo: RepositoryAccess) => repo.url.startsWith("oci://");

export function createChartFetcher(o: ChartFetcherOptions): ChartFetcher {
  const timeoutMs = o.timeoutMs ?? 60_000;
  const requests = { index: 0, manifest: 0, pull: 0 };
  const cache = createArchiveCache(o.cacheDir);
  const oci = createOciClient(timeoutMs, (k) => requests[k]++);
  // remembered reads: an index per HTTP repository, tags per OCI chart, a manifest digest per OCI tag
  const indexes = remembered<Index>();
  const tagLists = remembered<string[]>();
  const manifests = remembered<string>();
  const accessKey = (repo: RepositoryAccess) => `${repo.url}\u0000${repo.auth?.username ?? ""}`;

  return {
    requests,
    async versions(repo, chart, maxAgeMs) {
      if (isOci(repo)) {
        const tags = await tagLists(`${accessKey(repo)}\u0000${chart}`, maxAgeMs, () => oci.tags(repo, chart));
        if (tags.length === 0) throw new ChartSourceError(repo.name, `chart ${chart} has no semver tags in ${repo.url}`);
        return tags.map((version) => ({ version, url: `${repo.url}/${chart}` }));
      }
      const index = await indexes(accessKey(repo), maxAgeMs, () => {
        requests.index++;
        o.log?.debug({ repository: repo.name, url: redactCredentials(`${repo.url}/index.yaml`) }, "reading chart repository index");
        return readIndex(repo, timeoutMs);
      });
      const versions = index.get(chart);
      if (!versions) {
        const names = [...index.keys()].sort();
        throw new ChartSourceError(repo.name, `chart ${chart} is not in ${repo.url}/index.yaml (charts: ${names.slice(0, 20).join(", ") || "none"}${names.length > 20 ? ", ..." : ""})`);
      }
      return versions;
    },
    async digest(repo, chart, v, maxAgeMs) {
      if (isOci(repo)) return manifests(`${accessKey(repo)}\u0000${chart}\u0000${v.version}`, maxAgeMs, () => oci.manifestDigest(repo, chart, v.version));
      if (v.digest) return v.digest;
      // an index without digests: the archive itself says what it is
      return (await download(repo, chart, v)).digest;
    },
    async pull(repo, chart, v, digest) {
      // an OCI manifest digest finds its archive through the cache's alias: no request either
      const held = await cache.get(digest);
      if (held) return held;
      if (isOci(repo)) {
        o.log?.debug({ repository: repo.name, chart, version: v.version, digest }, "pulling chart from registry");
        const got = await oci.archive(repo, chart, digest, MAX_CHART_BYTES);
        return { file: await cache.put(got.digest, got.bytes, digest), digest: got.digest };
      }
      const got = await download(repo, chart, v);
      if (got.digest !== digest) throw new ChartSourceError(repo.name, `chart ${chart} ${v.version}: digest mismatch: the index says ${digest}, the archive is ${got.digest}; nothing was kept`);
      return got;
    },
  };

  async function download(repo: RepositoryAccess, chart: string, v: ChartVersion) {
    if (!v.url) throw new ChartSourceError(repo.name, `chart ${chart} ${v.version} has no URL in the index`);
    requests.pull++;
    o.log?.debug({ repository: repo.name, chart, version: v.version }, "downloading chart");
    const res = await httpGet(v.url, { headers: headersFor(repo, v.url), ...(repo.ca ? { ca: repo.ca } : {}), ...allowOpt(repo), timeoutMs, maxBytes: MAX_CHART_BYTES }).catch((err: Error) => {
      throw new ChartSourceError(repo.name, `cannot download chart ${chart} ${v.version}: ${failure(err)}`);
    });
    const shown = `${new URL(v.url).origin}${new URL(v.url).pathname}`;
    if (res.status !== 200) throw new ChartSourceError(repo.name, `chart ${chart} ${v.version}: ${shown}: HTTP ${res.status}${res.status === 401 || res.status === 403 ? "; check the files spec.auth names" : ""}`);
    const digest = sha256(res.body);
    if (v.digest && v.digest !== digest) throw new ChartSourceError(repo.name, `chart ${chart} ${v.version}: digest mismatch: the index says ${v.digest}, ${shown} is ${digest}; nothing was kept`);
    return { file: await cache.put(digest, res.body), digest };
  }
}

/** Reads remembered for as long as the caller allows; a failed read is forgotten, so the next pass tries again. */
function remembered<T>(): (key: string, maxAgeMs: number, read: () => Promise<T>) => Promise<T> {
  const m = new Map<string, { at: number; value: Promise<T> }>();
  return (key, maxAgeMs, read) => {
    const hit = m.get(key);
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.value;
    const value = read();
    m.set(key, { at: Date.now(), value });
    value.catch(() => {
      if (m.get(key)?.value === value) m.delete(key);
    });
    return value;
  };
}
