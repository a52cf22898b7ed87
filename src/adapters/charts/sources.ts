// Third-party charts as the loader and the reconciler need them: what each
// repository offers, what a picked version holds (digest, defaults, schema),
// and a local path helm can install from. Every network request goes through
// the ChartFetcher; a source that fails blocks only the releases that need it.
import { readFile } from "node:fs/promises";
import { ChartSourceError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { parseDuration } from "../../model/duration.ts";
import type { ChartComponent, ChartIdentity, ChartPin, ChartRepository, JsonObject, JsonSchema } from "../../model/types.ts";
import { chartFacts, readChartArchive } from "./archive.ts";
import { readAccess } from "./credentials.ts";
import type { ChartFetcher, RepositoryAccess } from "./types.ts";

/** Helm's and Flux's default: a repository's index is re-read every ten minutes. */
export const DEFAULT_INTERVAL_MS = 600_000;

export interface ChartSources {
  /** The versions a repository chart Component's source offers, or why they could not be read. */
  offer(chart: ChartComponent, repo: ChartRepository): Promise<NonNullable<ChartComponent["offered"]>>;
  /** What a picked repository chart version holds: its content digest, default values and schema. */
  pin(chart: ChartIdentity, repo: ChartRepository): Promise<ChartPin>;
  /** A local .tgz of a repository chart helm can install (cached by digest: no request when held). */
  path(chart: ChartIdentity): Promise<string>;
  /** Forget every index read, so the next offer reads again (a webhook push). */
  refresh(): void;
  readonly fetcher: ChartFetcher;
}

export interface ChartSourcesOptions {
  fetcher: ChartFetcher;
  /** Directories the ChartRepositories' credential and CA files must be inside (--repository-credentials-dir). */
  credentialDirs: string[];
  /** ChartRepository URLs the operator allows (--repository-url-allow); absent: any. */
  allowedUrls?: string[];
  log?: Logger;
}

/** An error's message without the `ChartRepository <name>: ` a ChartSourceError starts with, for a reason that names the repository itself. */
export function sourceProblem(err: unknown, repository: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const prefix = `ChartRepository ${repository}: `;
  return err instanceof ChartSourceError && message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

export const intervalMs = (repo: ChartRepository): number =>
  (repo.spec.interval !== undefined ? parseDuration(repo.spec.interval) : undefined) ?? DEFAULT_INTERVAL_MS;

export function createChartSources(o: ChartSourcesOptions): ChartSources {
  // the access a repository was last read with, by name: the reconciler pulls with it later
  const access = new Map<string, { spec: string; access: RepositoryAccess }>();
  const pins = new Map<string, ChartPin>(); // by digest: the content of a digest never changes
  // a webhook push: whatever was read before it is stale, whatever was read after it is fresh
  let refreshedAt = -Infinity;

  async function accessFor(repo: ChartRepository): Promise<RepositoryAccess> {
    const spec = JSON.stringify(repo.spec);
    const hit = access.get(repo.metadata.name);
    if (hit && hit.spec === spec) return hit.access;
    const got = await readAccess(repo, { dirs: o.credentialDirs, ...(o.allowedUrls ? { urls: o.allowedUrls } : {}) });
    access.set(repo.metadata.name, { spec, access: got });
    return got;
  }
  /**
   * How old a read (an index, an OCI chart's tags, an OCI tag's manifest digest) may be: the
   * repository's interval, and never older than the last refresh. One bound for every read, so
   * after a push each is made again exactly once (every chart's tags and every tag's digest
   * included, not only the first read of the repository), and shared ones (an HTTP index) once
   * (but for reads in the very millisecond of the push, which are made again rather than trusted).
   */
  const maxAge = (repo: ChartRepository) => Math.min(intervalMs(repo), Date.now() - refreshedAt);

  return {
    fetcher: o.fetcher,
    refresh() {
      refreshedAt = Date.now();
    },
    async offer(chart, repo) {
      try {
        const a = await accessFor(repo);
        const versions = await o.fetcher.versions(a, chart.spec.chart.name!, maxAge(repo));
        return { versions };
      } catch (err) {
        o.log?.warn({ repository: repo.metadata.name, chart: chart.spec.chart.name, err: (err as Error).message }, "chart source unavailable; its releases are blocked");
        return { unavailable: `cannot read chart ${chart.spec.chart.name} from ChartRepository ${repo.metadata.name}: ${sourceProblem(err, repo.metadata.name)}` };
      }
    },
    async pin(chart, repo) {
      const where = `chart ${chart.name} ${chart.version} from ChartRepository ${repo.metadata.name}`;
      try {
        const a = await accessFor(repo);
        const v = { version: chart.version, ...(chart.digest ? { digest: chart.digest } : {}), ...(chart.source && "url" in chart.source && chart.source.url ? { url: chart.source.url } : {}) };
        const digest = await o.fetcher.digest(a, chart.name, v, maxAge(repo));
        const known = pins.get(digest);
        if (known) return known;
        const pulled = await o.fetcher.pull(a, chart.name, v, digest);
        const facts = chartFacts(readChartArchive(await readFile(pulled.file)));
        if (facts.name !== chart.name || facts.version !== chart.version)
          return { unavailable: `${where}: the archive holds chart ${facts.name} ${facts.version}, not what the index says` };
        const pin: ChartPin = { digest, values: facts.values as JsonObject, ...(facts.schema ? { schema: facts.schema as JsonSchema } : {}) };
        pins.set(digest, pin);
        return pin;
      } catch (err) {
        return { unavailable: `cannot pull ${where}: ${sourceProblem(err, repo.metadata.name)}` };
      }
    },
    async path(chart) {
      const src = chart.source;
      if (!src || !("repository" in src) || !chart.digest) throw new Error(`chart ${chart.name} ${chart.version} is not a pinned repository chart`);
      const a = access.get(src.repository);
      if (!a) throw new Error(`ChartRepository ${src.repository} was not read in this process`);
      const pulled = await o.fetcher.pull(a.access, chart.name, { version: chart.version, digest: chart.digest, ...(src.url ? { url: src.url } : {}) }, chart.digest);
      return pulled.file;
    },
  };
}
