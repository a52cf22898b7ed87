// The fetcher against a loopback server speaking the parts of the OCI
// distribution API Helm uses, behind a Bearer (or Basic) challenge the real
// test registry does not have (test/adapters/chart-fetcher.int.test.ts runs
// CNCF Distribution itself).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChartSourceError } from "../../errors.ts";
import { createChartFetcher } from "./fetcher.ts";
import { CHART_LAYER } from "./oci.ts";
import type { RepositoryAccess } from "./types.ts";

const work = mkdtempSync(join(tmpdir(), "berth-oci-"));
const digestOf = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;

const tgz = gzipSync(Buffer.from("not really a tar; the fetcher only moves bytes"));
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: digestOf("{}"), size: 2 },
  layers: [{ mediaType: CHART_LAYER, digest: digestOf(tgz), size: tgz.length }],
});

let server: Server;
let host: string;
let seen: { method: string; path: string; auth?: string }[];
let challenge: "bearer" | "basic";
let blob: Buffer;

function authorized(req: IncomingMessage): boolean {
  return challenge === "bearer" ? req.headers.authorization === "Bearer t0ken" : req.headers.authorization === basic("u", "p");
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push({ method: req.method ?? "", path: url.pathname + url.search, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    if (url.pathname === "/token") {
      const ok = req.headers.authorization === basic("u", "p") && url.searchParams.get("scope") === "repository:charts/demo:pull";
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? JSON.stringify({ token: "t0ken" }) : "");
      return;
    }
    if (!authorized(req)) {
      const www = challenge === "bearer" ? `Bearer realm="http://${host}/token",service="test",scope="repository:charts/demo:pull"` : 'Basic realm="test"';
      res.writeHead(401, { "www-authenticate": www }).end();
      return;
    }
    const base = "/v2/charts/demo";
    if (url.pathname === `${base}/tags/list` && url.searchParams.get("last") === null) {
      res.writeHead(200, { link: `<${base}/tags/list?n=2&last=1.0.0>; rel="next"` }).end(JSON.stringify({ name: "charts/demo", tags: ["1.0.0", "latest"] }));
    } else if (url.pathname === `${base}/tags/list`) {
      res.writeHead(200).end(JSON.stringify({ name: "charts/demo", tags: ["1.1.0_build.7", "v2"] }));
    } else if (url.pathname === `${base}/manifests/1.1.0_build.7` || url.pathname === `${base}/manifests/${digestOf(manifest)}`) {
      res.writeHead(200, { "docker-content-digest": digestOf(manifest), "content-type": "application/vnd.oci.image.manifest.v1+json" });
      res.end(req.method === "HEAD" ? undefined : manifest);
    } else if (url.pathname === `${base}/blobs/${digestOf(tgz)}`) {
      res.writeHead(200).end(blob);
    } else res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
  challenge = "bearer";
  blob = tgz;
});

const repo = (over: Partial<RepositoryAccess> = {}): RepositoryAccess => ({ name: "reg", url: `oci://${host}/charts`, insecure: true, auth: { username: "u", password: "p" }, ...over });
const fetcher = (cacheDir = mkdtempSync(join(work, "cache-"))) => createChartFetcher({ cacheDir, timeoutMs: 5_000 });

describe("createChartFetcher (OCI registry)", () => {
  it("lists semver tags across pages, `_` read back as `+`, after a Bearer token from the realm", async () => {
    const f = fetcher();
    const got = await f.versions(repo(), "demo", 60_000);
    expect(got).toEqual([
      { version: "1.0.0", url: `oci://${host}/charts/demo` },
      { version: "1.1.0+build.7", url: `oci://${host}/charts/demo` },
    ]);
    expect(f.requests.index).toBe(2);
    // anonymous first, then the token (with the basic credentials), then every request with it
    expect(seen[0]).toEqual({ method: "GET", path: "/v2/charts/demo/tags/list?n=1000" });
    expect(seen[1]).toMatchObject({ path: expect.stringMatching(/^\/token\?service=test&scope=/), auth: basic("u", "p") });
    expect(seen.slice(2).every((r) => r.auth === "Bearer t0ken")).toBe(true);
  });

  it("takes the manifest digest from a HEAD, and pulls by it once; the cache answers later, in another process too", async () => {
    const cacheDir = mkdtempSync(join(work, "cache-"));
    const f = fetcher(cacheDir);
    const v = { version: "1.1.0+build.7", url: `oci://${host}/charts/demo` };
    const digest = await f.digest(repo(), "demo", v, 60_000);
    expect(digest).toBe(digestOf(manifest));
    expect(seen.filter((r) => r.path.includes("/manifests/")).map((r) => r.method)).toEqual(["HEAD", "HEAD"]); // anonymous, then with the token
    const pulled = await f.pull(repo(), "demo", v, digest);
    // the release is identified by the manifest, the cache by the archive's own bytes
    expect(pulled).toEqual({ file: join(cacheDir, `sha256-${digestOf(tgz).slice(7)}.tgz`), digest: digestOf(tgz) });
    expect(readFileSync(pulled.file)).toEqual(tgz);
    expect(f.requests).toEqual({ index: 0, manifest: 2, pull: 1 });

    seen = [];
    const later = fetcher(cacheDir);
    expect(await later.pull(repo(), "demo", v, digest)).toEqual(pulled);
    expect(later.requests).toEqual({ index: 0, manifest: 0, pull: 0 });
    expect(seen).toEqual([]);
  });

  it("keeps nothing of a blob whose bytes do not match its digest", async () => {
    blob = gzipSync(Buffer.from("something else"));
    const cacheDir = mkdtempSync(join(work, "cache-"));
    const f = fetcher(cacheDir);
    const p = f.pull(repo(), "demo", { version: "1.1.0+build.7" }, digestOf(manifest));
    await expect(p).rejects.toThrow(ChartSourceError);
    await expect(p).rejects.toThrow(/ChartRepository reg: chart demo: digest mismatch/);
    blob = tgz;
    await f.pull(repo(), "demo", { version: "1.1.0+build.7" }, digestOf(manifest));
    expect(f.requests.pull).toBe(2);
  });

  it("answers a Basic challenge with the credentials", async () => {
    challenge = "basic";
    const got = await fetcher().versions(repo(), "demo", 60_000);
    expect(got).toHaveLength(2);
    expect(seen.filter((r) => r.auth === basic("u", "p")).length).toBeGreaterThan(0);
  });

  it.each([
    ["no credentials for a Basic challenge", () => (challenge = "basic"), () => repo({ auth: undefined }), /wants credentials \(Basic\), and spec.auth names none/],
    ["a wrong password for the token", () => {}, () => repo({ auth: { username: "u", password: "wrong" } }), /ChartRepository reg: token endpoint .*\/token: HTTP 401; check the files spec.auth names/],
    ["a chart that is not there", () => {}, () => ({ ...repo(), url: `oci://${host}/elsewhere` }), /ChartRepository reg: /],
  ])("names the repository and what is wrong for %s", async (_n, setup, r, want) => {
    setup();
    const p = fetcher().versions(r(), "demo", 60_000);
    await expect(p).rejects.toThrow(want);
    await expect(p).rejects.not.toThrow(/wrong/);
  });
});
