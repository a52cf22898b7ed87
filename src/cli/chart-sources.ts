// Chart sources for the commands that only read (validate, render, diff): the
// same fetcher and cache as the reconciler, under berth's cache directory.
import { homedir } from "node:os";
import { join } from "node:path";
import { createChartFetcher } from "../adapters/charts/fetcher.ts";
import { createChartSources, type ChartSources } from "../adapters/charts/sources.ts";
import type { Logger } from "../log.ts";
import { repositoryCredentialDirs, repositoryUrls } from "./reconciler-flags.ts";

export const defaultCacheDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.BERTH_CACHE_DIR ?? join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "berth");

/** `--repository-credentials-dir DIR` (repeatable), for `.option(...repositoryCredentialsFlag())`. */
export const repositoryCredentialsFlag = (): [string, string, (v: string, prev: string[] | undefined) => string[]] => [
  "--repository-credentials-dir <DIR>",
  "a directory ChartRepositories' spec.auth and spec.caFile files may be in (repeatable; default $BERTH_REPOSITORY_CREDENTIAL_DIRS)",
  (v, prev) => [...(prev ?? []), v],
];

export function cliChartSources(f: { repositoryCredentialsDir?: string[] }, cwd: string, log: Logger): ChartSources {
  return createChartSources({
    fetcher: createChartFetcher({ cacheDir: join(defaultCacheDir(), "charts", "pulled"), log }),
    credentialDirs: repositoryCredentialDirs(f, cwd),
    ...(() => {
      const u = repositoryUrls({}).repositoryUrls;
      return u ? { allowedUrls: u } : {};
    })(),
    log,
  });
}
