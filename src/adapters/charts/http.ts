// One small HTTP client for chart sources: node's http/https (so a
// repository's own CA can be trusted), bounded in time and bytes, redirects
// followed, and credentials never sent to another origin than the one asked.
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface HttpRequest {
  method?: "GET" | "HEAD";
  headers?: Record<string, string>;
  /** PEM text of the CA bundle to trust. */
  ca?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Every URL reached (each redirect too) must pass this, or nothing is requested there. */
  allow?: (url: string) => boolean;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 5;

export async function httpGet(url: string, r: HttpRequest): Promise<HttpResponse> {
  const origin = new URL(url).origin;
  let at = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameOrigin = new URL(at).origin === origin;
    // Authorization goes only where it was meant to (a blob redirected to object storage gets none)
    if (r.allow && !r.allow(at)) throw new Error(`${new URL(at).origin}${new URL(at).pathname} is not a URL the operator allows (--repository-url-allow); nothing was requested there`);
    const headers = sameOrigin ? r.headers : Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => k.toLowerCase() !== "authorization"));
    const res = await once(at, { ...r, ...(headers ? { headers } : {}) });
    const loc = res.headers.location;
    if (res.status >= 300 && res.status < 400 && loc) {
      at = new URL(loc, at).toString();
      continue;
    }
    return { ...res, url: at };
  }
  throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
}

function once(url: string, r: HttpRequest): Promise<Omit<HttpResponse, "url">> {
  const u = new URL(url);
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: r.method ?? "GET", headers: r.headers ?? {}, ...(r.ca && u.protocol === "https:" ? { ca: r.ca } : {}), timeout: r.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > r.maxBytes) {
          req.destroy(new Error(`response from ${u.origin}${u.pathname} is over ${r.maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${u.origin} within ${Math.ceil(r.timeoutMs / 1000)} s`)));
    req.on("error", reject);
    const hard = setTimeout(() => req.destroy(new Error(`${u.origin}${u.pathname} took longer than ${Math.ceil(r.timeoutMs / 1000)} s`)), r.timeoutMs);
    req.on("close", () => clearTimeout(hard));
    req.end();
  });
}

export const basicAuth = (a: { username: string; password: string }) => `Basic ${Buffer.from(`${a.username}:${a.password}`).toString("base64")}`;

/** Why a request failed, with what would be right when TLS refused the server's certificate. */
export function failure(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /certificate/i.test(err.message)
    ? `${err.message} (a certificate from a private CA: name its PEM file in spec.caFile)`
    : err.message;
}
