// The fetcher against a loopback HTTP server serving a Helm index and charts
// (the real-registry and real-chart paths are in test/adapters/ and test/reconcile/).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChartSourceError } from "../../errors.ts";
import type { ChartRepository } from "../../model/types.ts";
import { readAccess } from "./credentials.ts";
import { createChartFetcher } from "./fetcher.ts";
import { headersFor } from "./http-repo.ts";
import type { RepositoryAccess } from "./types.ts";

const work = mkdtempSync(join(tmpdir(), "berth-fetcher-"));
function pack(version: string): Buffer {
  const root = mkdtempSync(join(work, "c-"));
  mkdirSync(join(root, "demo"));
  writeFileSync(join(root, "demo", "Chart.yaml"), `apiVersion: v2\nname: demo\nversion: ${version}\n`);
  execFileSync("tar", ["czf", join(root, "demo.tgz"), "-C", root, "demo"]);
  return readFileSync(join(root, "demo.tgz"));
}
const hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");

const v1 = pack("1.0.0");
const v2 = pack("1.1.0");
let server: Server;
let base: string;
let seen: { path: string; auth?: string }[];
let index: string;
/** What the server answers per path, by default. */
const routes: Record<string, () => { status: number; body?: Buffer | string }> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    const r = routes[req.url ?? ""]?.() ?? { status: 404 };
    res.writeHead(r.status);
    res.end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
  index = `apiVersion: v1
entries:
  demo:
    - { name: demo, version: 1.1.0, digest: ${hex(v2)}, urls: [demo-1.1.0.tgz] }
    - { name: demo, version: 1.0.0, digest: ${hex(v1)}, urls: ["${base}/repo/demo-1.0.0.tgz"] }
    - { name: demo, version: not-semver, urls: [x.tgz] }
  other:
    - { name: other, version: 0.1.0, urls: ["http://elsewhere.invalid/other.tgz"] }
`;
  routes["/repo/index.yaml"] = () => ({ status: 200, body: index });
  routes["/repo/demo-1.0.0.tgz"] = () => ({ status: 200, body: v1 });
  routes["/repo/demo-1.1.0.tgz"] = () => ({ status: 200, body: v2 });
});

const repo = (over: Partial<RepositoryAccess> = {}): RepositoryAccess => ({ name: "local", url: `${base}/repo`, ...over });
const fetcher = () => createChartFetcher({ cacheDir: mkdtempSync(join(work, "cache-")), timeoutMs: 5_000 });

describe("createChartFetcher (Helm HTTP repository)", () => {
  it("lists a chart's semver versions with digests and absolute URLs, reading the index once per interval", async () => {
    const f = fetcher();
    const got = await f.versions(repo(), "demo", 60_000);
    expect(got).toEqual([
      { version: "1.1.0", digest: `sha256:${hex(v2)}`, url: `${base}/repo/demo-1.1.0.tgz` },
      { version: "1.0.0", digest: `sha256:${hex(v1)}`, url: `${base}/repo/demo-1.0.0.tgz` },
    ]);
    await f.versions(repo(), "demo", 60_000);
    expect(f.requests.index).toBe(1);
    await f.versions(repo(), "demo", 0);
    expect(f.requests.index).toBe(2);
  });

  it("pulls once, verifies the digest, then answers from the cache without a request", async () => {
    const f = fetcher();
    const [v] = await f.versions(repo(), "demo", 60_000);
    const first = await f.pull(repo(), "demo", v!, v!.digest!);
    expect(readFileSync(first.file)).toEqual(v2);
    const again = await f.pull(repo(), "demo", v!, v!.digest!);
    expect(again.file).toBe(first.file);
    expect(f.requests.pull).toBe(1);
  });

  it("keeps nothing whose bytes do not match the index's digest", async () => {
    routes["/repo/demo-1.1.0.tgz"] = () => ({ status: 200, body: v1 });
    const f = fetcher();
    const [v] = await f.versions(repo(), "demo", 60_000);
    await expect(f.pull(repo(), "demo", v!, v!.digest!)).rejects.toThrow(/ChartRepository local: chart demo 1.1.0: digest mismatch/);
    routes["/repo/demo-1.1.0.tgz"] = () => ({ status: 200, body: v2 });
    await f.pull(repo(), "demo", v!, v!.digest!);
    expect(f.requests.pull).toBe(2);
  });

  it("sends credentials only to the repository's own origin", async () => {
    const f = fetcher();
    const auth = { username: "u", password: "p" };
    await f.versions(repo({ auth }), "demo", 60_000);
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    const other = await f.versions(repo({ auth }), "other", 60_000);
    await expect(f.pull(repo({ auth }), "other", other[0]!, "sha256:00")).rejects.toThrow(ChartSourceError);
    expect(headersFor(repo({ auth }), "http://elsewhere.invalid/other.tgz")).toEqual({});
    expect(headersFor(repo({ auth }), `${base}/repo/demo-1.0.0.tgz`)).toHaveProperty("authorization");
  });

  it("with the operator's URL list, reaches the repository's own origin and nothing else an index names", async () => {
    const f = fetcher();
    const limited = repo({ allowed: ["https://charts.example"] });
    const other = await f.versions(limited, "other", 60_000);
    await expect(f.pull(limited, "other", other[0]!, "sha256:00")).rejects.toThrow(/http:\/\/elsewhere.invalid\/other.tgz is not a URL the operator allows \(--repository-url-allow\); nothing was requested there/);
    const [v] = await f.versions(limited, "demo", 60_000);
    await f.pull(limited, "demo", v!, v!.digest!);
    expect(f.requests.pull).toBe(2);
  });

  it.each([
    ["a missing chart", () => {}, "nope", /chart nope is not in .*index.yaml \(charts: demo, other\)/],
    ["a 401", () => (routes["/repo/index.yaml"] = () => ({ status: 401 })), "demo", /HTTP 401; check the files spec.auth names \(the repository wants credentials, and none are configured\)/],
    ["not an index", () => (routes["/repo/index.yaml"] = () => ({ status: 200, body: "hello" })), "demo", /has no entries: not a Helm repository index/],
    ["a server that is down", () => (routes["/repo/index.yaml"] = () => ({ status: 503 })), "demo", /HTTP 503/],
  ])("names the repository and what is wrong for %s", async (_n, setup, chart, want) => {
    setup();
    await expect(fetcher().versions(repo(), chart, 60_000)).rejects.toThrow(want);
  });
});

describe("readAccess", () => {
  const doc = (spec: ChartRepository["spec"]): ChartRepository =>
    ({ apiVersion: "berth.dev/v1alpha1", kind: "ChartRepository", metadata: { name: "sigs" }, spec, origin: { file: "r.yaml", pos: () => ({ line: 1, col: 1 }) } }) as ChartRepository;
  const dir = mkdtempSync(join(work, "creds-"));
  const outside = mkdtempSync(join(work, "elsewhere-"));
  writeFileSync(join(dir, "user"), "berth\n");
  writeFileSync(join(dir, "pass"), "s3cret\n");
  writeFileSync(join(outside, "pass"), "stolen\n");

  it("reads credentials from files inside the operator's directories", async () => {
    const a = await readAccess(doc({ url: "https://x/", auth: { usernameFile: join(dir, "user"), passwordFile: join(dir, "pass") } }), { dirs: [dir] });
    expect(a).toEqual({ name: "sigs", url: "https://x", auth: { username: "berth", password: "s3cret" } });
  });

  it("refuses a file outside them, without reading it or echoing it", async () => {
    const p = readAccess(doc({ url: "https://x", auth: { usernameFile: join(dir, "user"), passwordFile: join(outside, "pass") } }), { dirs: [dir] });
    await expect(p).rejects.toThrow(/spec.auth.passwordFile: .* is not a file inside the directories the operator allows .*--repository-credentials-dir/);
    await expect(p).rejects.not.toThrow(/stolen/);
    await expect(readAccess(doc({ url: "https://x", caFile: `${dir}/../${outside.split("/").pop()}/pass` }), { dirs: [dir] })).rejects.toThrow(/spec.caFile/);
    await expect(readAccess(doc({ url: "https://x", caFile: join(dir, "pass") }), { dirs: [] })).rejects.toThrow(/allows \(none\)/);
  });
});
