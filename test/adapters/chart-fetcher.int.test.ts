// The chart fetcher against real sources: a Helm HTTP repository written by
// `helm repo index` (behind basic auth, credentials read from files as the
// operator would hand them over) and CNCF Distribution with charts pushed by
// `helm push`, serving the real metrics-server charts.
import { createHash } from "node:crypto";
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { chartFacts, readChartArchive } from "../../src/adapters/charts/archive.ts";
import { readAccess } from "../../src/adapters/charts/credentials.ts";
import { createChartFetcher } from "../../src/adapters/charts/fetcher.ts";
import type { RepositoryAccess } from "../../src/adapters/charts/types.ts";
import { ChartSourceError } from "../../src/errors.ts";
import type { ChartRepository } from "../../src/model/types.ts";
import { createPki } from "../cluster/pki.ts";
import { ensureCharts, startChartRepo, startRegistry, type ChartRepo, type PackagedCharts, type Registry } from "../cluster/charts.ts";

const binaries = inject("binaries");
const auth = { username: "berth", password: "s3cret-for-charts" };
const VERSIONS = ["3.12.2", "3.13.1"];

let work: string;
let creds: string;
let charts: PackagedCharts;
let locked: ChartRepo;
let registry: Registry;

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const tgz = (version: string) => readFile(charts[`metrics-server@${version}`]!);
const fetcher = (cacheDir: string) => createChartFetcher({ cacheDir, timeoutMs: 30_000 });
const doc = (spec: ChartRepository["spec"]): ChartRepository =>
  ({ apiVersion: "berth.dev/v1alpha1", kind: "ChartRepository", metadata: { name: "sigs" }, spec, origin: { file: "repos.yaml", pos: () => ({ line: 1, col: 1 }) } }) as ChartRepository;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "berth-chart-fetcher-"));
  creds = join(work, "creds");
  await mkdir(creds);
  await writeFile(join(creds, "user"), `${auth.username}\n`);
  await writeFile(join(creds, "pass"), `${auth.password}\n`);
  await writeFile(join(creds, "wrong"), "not-the-password\n");
  charts = await ensureCharts(binaries);
  const metrics = VERSIONS.map((v) => charts[`metrics-server@${v}`]!);
  locked = await startChartRepo({ helm: binaries.helm, charts: metrics, auth });
  registry = await startRegistry({ binaries, charts: metrics });
});

afterAll(async () => {
  await locked?.stop();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("chart fetcher on a Helm HTTP repository with basic auth", () => {
  let access: RepositoryAccess;
  let cacheDir: string;
  beforeAll(async () => {
    access = await readAccess(doc({ url: locked.url, auth: { usernameFile: join(creds, "user"), passwordFile: join(creds, "pass") } }), { dirs: [creds] });
    cacheDir = await mkdtemp(join(work, "http-cache-"));
  });

  it("lists both versions with the archives' digests, pulls and verifies one, and a second pull makes no request", async () => {
    const f = fetcher(cacheDir);
    const versions = await f.versions(access, "metrics-server", 60_000);
    expect(versions.map((v) => v.version).sort()).toEqual(VERSIONS);
    const v = versions.find((x) => x.version === "3.13.1")!;
    expect(v).toEqual({ version: "3.13.1", digest: sha256(await tgz("3.13.1")), url: `${locked.url}/metrics-server-3.13.1.tgz` }); // index urls are relative
    expect(await f.digest(access, "metrics-server", v, 60_000)).toBe(v.digest);

    const pulled = await f.pull(access, "metrics-server", v, v.digest!);
    expect(pulled.digest).toBe(v.digest);
    const facts = chartFacts(readChartArchive(await readFile(pulled.file)));
    expect(facts).toMatchObject({ name: "metrics-server", version: "3.13.1" });
    expect(facts.values).toHaveProperty("args");
    expect(f.requests).toEqual({ index: 1, manifest: 0, pull: 1 });

    const served = locked.requests.length;
    expect(await f.pull(access, "metrics-server", v, v.digest!)).toEqual(pulled);
    const restarted = fetcher(cacheDir); // another process with the same cache
    expect(await restarted.pull(access, "metrics-server", v, v.digest!)).toEqual(pulled);
    expect(f.requests).toEqual({ index: 1, manifest: 0, pull: 1 });
    expect(restarted.requests).toEqual({ index: 0, manifest: 0, pull: 0 });
    expect(locked.requests.length).toBe(served);
  });

  it("a wrong password is a ChartSourceError naming the repository and what to check, never the password", async () => {
    const wrong = await readAccess(doc({ url: locked.url, auth: { usernameFile: join(creds, "user"), passwordFile: join(creds, "wrong") } }), { dirs: [creds] });
    const err = await fetcher(await mkdtemp(join(work, "wrong-"))).versions(wrong, "metrics-server", 60_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChartSourceError);
    expect((err as ChartSourceError).repository).toBe("sigs");
    expect((err as Error).message).toMatch(/^ChartRepository sigs: .*\/index.yaml: HTTP 401; check the files spec.auth names$/);
    expect((err as Error).message).not.toContain("not-the-password");
    expect(locked.requests).toContain("GET /index.yaml 401");
  });

  it("credential files outside the operator's directories are refused before any request", async () => {
    const served = locked.requests.length;
    const p = readAccess(doc({ url: locked.url, auth: { usernameFile: join(creds, "user"), passwordFile: join(creds, "pass") } }), { dirs: [join(work, "elsewhere")] });
    await expect(p).rejects.toThrow(/spec.auth.usernameFile: .*--repository-credentials-dir/);
    expect(locked.requests.length).toBe(served);
  });
});

describe("chart fetcher on an https repository with its own CA (spec.caFile)", () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const pki = await createPki(join(work, "pki"), "10.96.0.1");
    await copyFile(pki.caCert, join(creds, "ca.pem"));
    const bytes = await tgz("3.12.2");
    const index = `apiVersion: v1\nentries:\n  metrics-server:\n    - { name: metrics-server, version: 3.12.2, digest: ${sha256(bytes).slice(7)}, urls: [metrics-server-3.12.2.tgz] }\n`;
    server = createServer({ key: await readFile(pki.servingKey), cert: await readFile(pki.servingCert) }, (req, res) => {
      if (req.url === "/charts/index.yaml") res.writeHead(200).end(index);
      else if (req.url === "/charts/metrics-server-3.12.2.tgz") res.writeHead(200).end(bytes);
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
  });
  afterAll(() => server?.close());

  it("trusts the repository's CA from the file, and only with it", async () => {
    const access = await readAccess(doc({ url, caFile: join(creds, "ca.pem") }), { dirs: [creds] });
    const f = fetcher(await mkdtemp(join(work, "tls-cache-")));
    const [v] = await f.versions(access, "metrics-server", 60_000);
    expect((await f.pull(access, "metrics-server", v!, v!.digest!)).digest).toBe(sha256(await tgz("3.12.2")));
    const without = fetcher(await mkdtemp(join(work, "tls-cache-"))).versions({ name: "sigs", url }, "metrics-server", 60_000);
    await expect(without).rejects.toThrow(ChartSourceError);
    await expect(without).rejects.toThrow(/^ChartRepository sigs: cannot read https:\/\/127\.0\.0\.1:\d+\/charts\/index.yaml: .*certificate.*name its PEM file in spec.caFile\)$/);
  });
});

describe("chart fetcher on an OCI registry (CNCF Distribution, helm push)", () => {
  let access: RepositoryAccess;
  let cacheDir: string;
  beforeAll(async () => {
    access = await readAccess(doc({ url: registry.url, insecure: true }), { dirs: [] });
    cacheDir = await mkdtemp(join(work, "oci-cache-"));
  });

  it("lists the pushed versions, identifies one by its manifest digest, and pulls Helm's chart layer once", async () => {
    const f = fetcher(cacheDir);
    const versions = await f.versions(access, "metrics-server", 60_000);
    expect(versions.map((v) => v.version).sort()).toEqual(VERSIONS);
    const v = versions.find((x) => x.version === "3.13.1")!;
    expect(v.url).toBe(`${registry.url}/metrics-server`);

    const digest = await f.digest(access, "metrics-server", v, 60_000);
    const bytes = await tgz("3.13.1");
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(digest).not.toBe(sha256(bytes)); // the manifest, not the archive
    const pulled = await f.pull(access, "metrics-server", v, digest);
    expect(pulled.digest).toBe(sha256(bytes)); // helm push uploads the archive as it is
    expect(await readFile(pulled.file)).toEqual(bytes);
    const counted = { ...f.requests };
    expect(counted).toMatchObject({ index: 1, pull: 1 });

    // by manifest digest, from the cache: no request, in this fetcher or a new one
    expect(await f.pull(access, "metrics-server", v, digest)).toEqual(pulled);
    const restarted = fetcher(cacheDir);
    expect(await restarted.pull(access, "metrics-server", v, digest)).toEqual(pulled);
    expect(f.requests).toEqual(counted);
    expect(restarted.requests).toEqual({ index: 0, manifest: 0, pull: 0 });
  });

  it("a chart re-pushed under the same tag gets a new digest once the remembered one is older than allowed", async () => {
    const f = fetcher(cacheDir);
    const v = { version: "3.13.1", url: `${registry.url}/metrics-server` };
    const before = await f.digest(access, "metrics-server", v, 60_000);

    // the same chart and version with a changed default, packaged and pushed again
    const env = { HELM_CONFIG_HOME: join(work, "helm", "config"), HELM_CACHE_HOME: join(work, "helm", "cache"), HELM_DATA_HOME: join(work, "helm", "data") };
    const src = join(work, "repush");
    await mkdir(join(src, "out"), { recursive: true });
    await execa("tar", ["xzf", charts["metrics-server@3.13.1"]!, "-C", src]);
    await appendFile(join(src, "metrics-server", "values.yaml"), "\nberthRepushed: true\n");
    await execa(binaries.helm, ["package", join(src, "metrics-server"), "--destination", join(src, "out")], { env });
    await registry.push(join(src, "out", "metrics-server-3.13.1.tgz"));

    expect(await f.digest(access, "metrics-server", v, 60_000)).toBe(before); // within its interval: remembered
    const after = await f.digest(access, "metrics-server", v, 0);
    expect(after).not.toBe(before);
    const pulled = await f.pull(access, "metrics-server", v, after);
    expect(pulled.digest).toBe(sha256(await readFile(join(src, "out", "metrics-server-3.13.1.tgz"))));
    expect(chartFacts(readChartArchive(await readFile(pulled.file))).values).toHaveProperty("berthRepushed", true);
  });
});

describe("readChartArchive on the real packaged charts", () => {
  it.each(["metrics-server@3.13.1", "kyverno@3.2.6", "gatekeeper@3.23.1"])("%s: every file helm packaged, and its facts", async (ref) => {
    const listed = (await execa("tar", ["tzf", charts[ref]!])).stdout.split("\n").filter((l) => l !== "" && !l.endsWith("/"));
    const files = readChartArchive(await readFile(charts[ref]!));
    expect([...files.keys()].sort()).toEqual(listed.map((l) => l.slice(l.indexOf("/") + 1)).sort());
    const facts = chartFacts(files);
    expect(`${facts.name}@${facts.version}`).toBe(ref);
    if (ref.startsWith("kyverno")) expect(facts.kubeVersion).toBe(">=1.25.0-0");
    if (ref.startsWith("gatekeeper")) expect(facts.crds.map((c) => c.path)).toContain("crds/constrainttemplate-customresourcedefinition.yaml");
  });
});
