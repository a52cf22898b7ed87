// What berth needs from a chart source (a Helm HTTP repository or an OCI
// registry): the versions it offers, a version's content digest, and the
// chart archive itself, verified and cached by that digest.
import type { ChartVersion } from "../../model/types.ts";

/** A ChartRepository as the fetcher uses it: credentials already read from the operator's files. */
export interface RepositoryAccess {
  /** The ChartRepository's name, for messages. */
  name: string;
  /** `https://host/path` (index.yaml below it) or `oci://host/path`. */
  url: string;
  auth?: { username: string; password: string };
  /** PEM text of the CA bundle to trust for this repository. */
  ca?: string;
  /** OCI over plain HTTP. */
  insecure?: boolean;
  /**
   * The operator's --repository-url-allow: every URL berth reaches for this
   * repository (archive URLs an index lists, redirects, a registry's token
   * endpoint) must be one of these or below one, or on the repository's own origin.
   */
  allowed?: string[];
}

/** A pulled chart archive on local disk. */
export interface PulledChart {
  /** Path of the .tgz in the content-addressed cache. */
  file: string;
  /** `sha256:<hex>` of the .tgz bytes. */
  digest: string;
}

export interface ChartFetcher {
  /**
   * Every version of `chart` the repository offers (HTTP: from index.yaml,
   * OCI: the tag list). Answers from memory while the last read is younger
   * than `maxAgeMs`, else reads again. Throws ChartSourceError.
   */
  versions(repo: RepositoryAccess, chart: string, maxAgeMs: number): Promise<ChartVersion[]>;
  /**
   * The content digest of one version: the index's digest (HTTP), the
   * manifest digest (OCI, one HEAD, remembered for `maxAgeMs`).
   */
  digest(repo: RepositoryAccess, chart: string, v: ChartVersion, maxAgeMs: number): Promise<string>;
  /** The .tgz of one version, from the cache when it holds `digest`, else downloaded and verified. */
  pull(repo: RepositoryAccess, chart: string, v: ChartVersion, digest: string): Promise<PulledChart>;
  /** Network requests made so far, by kind (a no-op resync makes index reads only). */
  readonly requests: { index: number; manifest: number; pull: number };
}
