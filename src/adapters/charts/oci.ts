// An OCI registry holding Helm charts (`helm push`): a chart is the repository
// `<path>/<name>`, its versions are tags (`+` written as `_`), its identity
// the manifest digest, its archive the layer of Helm's chart media type.
// Anonymous first; a 401 says how to authenticate (a Bearer token from the
// realm, or Basic), as the distribution spec describes.
import semver from "semver";
import { ChartSourceError } from "../../errors.ts";
import { sha256 } from "./cache.ts";
import { basicAuth, failure, httpGet, type HttpResponse } from "./http.ts";
import { allowOpt } from "./credentials.ts";
import type { RepositoryAccess } from "./types.ts";

export const CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const MAX_MANIFEST = 4 * 1024 * 1024;

export interface OciClient {
  tags(repo: RepositoryAccess, chart: string): Promise<string[]>;
  manifestDigest(repo: RepositoryAccess, chart: string, version: string): Promise<string>;
  /** The chart archive a manifest names, with its layer digest, both verified. */
  archive(repo: RepositoryAccess, chart: string, manifestDigest: string, maxBytes: number): Promise<{ bytes: Buffer; digest: string }>;
}

export function createOciClient(timeoutMs: number, count: (kind: "index" | "manifest" | "pull") => void): OciClient {
  const tokens = new Map<string, string>(); // by repository URL and scope

  function locate(repo: RepositoryAccess, chart: string) {
    const u = new URL(repo.url.replace(/^oci:/, repo.insecure ? "http:" : "https:"));
    const path = `${u.pathname.replace(/^\/+|\/+$/g, "")}/${chart}`.replace(/^\//, "");
    return { base: `${u.protocol}//${u.host}/v2/${path}`, scope: `repository:${path}:pull` };
  }

  async function get(repo: RepositoryAccess, chart: string, url: string, o: { accept?: string; head?: boolean; maxBytes?: number } = {}): Promise<HttpResponse> {
    const { scope } = locate(repo, chart);
    const key = `${repo.url}\u0000${scope}`;
    const send = (authorization?: string) =>
      httpGet(url, {
        method: o.head ? "HEAD" : "GET",
        headers: { ...(o.accept ? { accept: o.accept } : {}), ...(authorization ? { authorization } : {}) },
        ...(repo.ca ? { ca: repo.ca } : {}),
        ...allowOpt(repo),
        timeoutMs,
        maxBytes: o.maxBytes ?? MAX_MANIFEST,
      });
    const failed = (err: Error) => {
      throw new ChartSourceError(repo.name, `cannot reach ${new URL(url).origin}: ${failure(err)}`);
    };
    let res = await send(tokens.get(key)).catch(failed);
    if (res.status !== 401) return res;
    const challenge = String(res.headers["www-authenticate"] ?? "");
    if (/^basic/i.test(challenge)) {
      if (!repo.auth) throw new ChartSourceError(repo.name, "the registry wants credentials (Basic), and spec.auth names none");
      tokens.set(key, basicAuth(repo.auth));
    } else if (/^bearer/i.test(challenge)) {
      tokens.set(key, `Bearer ${await token(repo, challenge, scope)}`);
    } else throw new ChartSourceError(repo.name, `HTTP 401 without a challenge berth knows (${challenge || "none"})`);
    res = await send(tokens.get(key)).catch(failed);
    if (res.status === 401 || res.status === 403) throw new ChartSourceError(repo.name, `HTTP ${res.status} with the credentials given; check the files spec.auth names`);
    return res;
  }

  async function token(repo: RepositoryAccess, challenge: string, scope: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) throw new ChartSourceError(repo.name, "the registry's Bearer challenge names no realm");
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set("service", params.service);
    u.searchParams.set("scope", params.scope ?? scope);
    const res = await httpGet(u.toString(), { headers: repo.auth ? { authorization: basicAuth(repo.auth) } : {}, ...(repo.ca ? { ca: repo.ca } : {}), ...allowOpt(repo), timeoutMs, maxBytes: 1024 * 1024 }).catch((err: Error) => {
      throw new ChartSourceError(repo.name, `cannot get a token from ${u.origin}: ${failure(err)}`);
    });
    if (res.status !== 200) throw new ChartSourceError(repo.name, `token endpoint ${u.origin}${u.pathname}: HTTP ${res.status}; check the files spec.auth names`);
    const body = JSON.parse(res.body.toString("utf8")) as { token?: string; access_token?: string };
    const t = body.token ?? body.access_token;
    if (!t) throw new ChartSourceError(repo.name, `token endpoint ${u.origin}${u.pathname} answered without a token`);
    return t;
  }

  const status = (repo: RepositoryAccess, chart: string, res: HttpResponse, what: string) => {
    if (res.status === 404) throw new ChartSourceError(repo.name, `chart ${chart}: ${what} not found in ${repo.url}`);
    if (res.status !== 200) throw new ChartSourceError(repo.name, `chart ${chart}: ${what}: HTTP ${res.status}`);
  };

  return {
    async tags(repo, chart) {
      const { base } = locate(repo, chart);
      const out: string[] = [];
      let next: string | undefined = `${base}/tags/list?n=1000`;
      for (let page = 0; next && page < 100; page++) {
        count("index");
        const res = await get(repo, chart, next);
        status(repo, chart, res, "tags");
        const body = JSON.parse(res.body.toString("utf8")) as { tags?: string[] | null };
        out.push(...(body.tags ?? []));
        const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ""))?.[1];
        next = link ? new URL(link, base).toString() : undefined;
      }
      // as written: a version with build metadata (`1.0.0+b`, tag `1.0.0_b`) keeps it
      return out.map((t) => t.replaceAll("_", "+")).filter((t) => semver.valid(t) !== null);
    },
    async manifestDigest(repo, chart, version) {
      const url = `${locate(repo, chart).base}/manifests/${version.replaceAll("+", "_")}`;
      count("manifest");
      const head = await get(repo, chart, url, { accept: MANIFEST, head: true });
      const d = head.headers["docker-content-digest"];
      if (head.status === 200 && typeof d === "string" && /^sha256:[a-f0-9]{64}$/.test(d)) return d;
      count("manifest");
      const res = await get(repo, chart, url, { accept: MANIFEST });
      status(repo, chart, res, `version ${version}`);
      return sha256(res.body);
    },
    async archive(repo, chart, manifestDigest, maxBytes) {
      const { base } = locate(repo, chart);
      count("manifest");
      const m = await get(repo, chart, `${base}/manifests/${manifestDigest}`, { accept: MANIFEST });
      status(repo, chart, m, `manifest ${manifestDigest}`);
      if (sha256(m.body) !== manifestDigest) throw new ChartSourceError(repo.name, `chart ${chart}: manifest does not match its digest ${manifestDigest}`);
      const layers = (JSON.parse(m.body.toString("utf8")) as { layers?: { mediaType?: string; digest?: string }[] }).layers ?? [];
      const layer = layers.find((l) => l.mediaType === CHART_LAYER);
      if (!layer?.digest) throw new ChartSourceError(repo.name, `chart ${chart}: manifest ${manifestDigest} holds no Helm chart layer (${CHART_LAYER}); was it pushed with helm push?`);
      count("pull");
      const blob = await get(repo, chart, `${base}/blobs/${layer.digest}`, { maxBytes });
      status(repo, chart, blob, `layer ${layer.digest}`);
      if (sha256(blob.body) !== layer.digest) throw new ChartSourceError(repo.name, `chart ${chart}: digest mismatch: layer ${layer.digest} downloaded as ${sha256(blob.body)}`);
      return { bytes: blob.body, digest: layer.digest };
    },
  };
}
