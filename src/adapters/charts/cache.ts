// Chart archives on disk by content: `sha256-<hex>.tgz`, verified before they
// are kept, written beside and renamed. An OCI manifest digest maps to the
// archive it names, so a pull by manifest digest needs no request either.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const fileName = (digest: string) => `${digest.replace(/[^A-Za-z0-9]/g, "-")}`;

export interface ArchiveCache {
  /** The cached archive of this content (or OCI manifest) digest, if held, with the archive's own digest. */
  get(digest: string): Promise<{ file: string; digest: string } | undefined>;
  /** Keeps `bytes` (already verified against `digest`), and remembers `alias` (a manifest digest) for it. */
  put(digest: string, bytes: Buffer, alias?: string): Promise<string>;
}

export function createArchiveCache(dir: string): ArchiveCache {
  const path = (digest: string) => join(dir, `${fileName(digest)}.tgz`);
  const aliasPath = (alias: string) => join(dir, "manifests", fileName(alias));
  const exists = (p: string) => stat(p).then(() => true, () => false);
  return {
    async get(digest) {
      if (await exists(path(digest))) return { file: path(digest), digest };
      const target = (await readFile(aliasPath(digest), "utf8").catch(() => ""))?.trim();
      return target && (await exists(path(target))) ? { file: path(target), digest: target } : undefined;
    },
    async put(digest, bytes, alias) {
      await mkdir(join(dir, "manifests"), { recursive: true });
      const final = path(digest);
      // a name no concurrent put shares: two releases pinning the same chart (from two repositories) write it at once
      const tmp = `${final}.tmp-${process.pid}-${randomUUID()}`;
      await writeFile(tmp, bytes);
      await rename(tmp, final);
      if (alias) {
        // the alias too is written beside and renamed, so a reader never sees half of it
        const aliasTmp = `${aliasPath(alias)}.tmp-${process.pid}-${randomUUID()}`;
        await writeFile(aliasTmp, digest);
        await rename(aliasTmp, aliasPath(alias));
      }
      return final;
    },
  };
}
