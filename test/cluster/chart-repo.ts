/**
 * A Helm HTTP chart repository on loopback: a directory of packaged charts
 * with the index.yaml `helm repo index` writes for it, served by a static
 * HTTP server inside the test process (optionally behind basic auth).
 *
 *   const repo = await startChartRepo({ helm: binaries.helm, charts: [charts["metrics-server@3.13.1"]] });
 *   await execa(binaries.helm, ["pull", "metrics-server", "--repo", repo.url, "--version", "3.13.1"]);
 *   await repo.stop();
 */
import { timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";

export interface BasicAuth {
  username: string;
  password: string;
}

export interface ChartRepoOptions {
  /** helm binary that writes index.yaml (`helm repo index`). */
  helm: string;
  /** Paths of packaged charts (.tgz), e.g. values of ensureCharts(). */
  charts: readonly string[];
  /** Require these credentials (HTTP basic auth) for every request. */
  auth?: BasicAuth;
  /** Loopback port to listen on (default: a free one). */
  port?: number;
}

export interface ChartRepo {
  /** http://127.0.0.1:<port> — what `helm repo add` and `--repo` take. */
  url: string;
  /** Request lines served so far, e.g. "GET /index.yaml 200". */
  requests: string[];
  stop(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".yaml": "application/x-yaml",
  ".tgz": "application/gzip",
  ".prov": "application/pgp-signature",
};

function authorized(req: IncomingMessage, auth: BasicAuth | undefined): boolean {
  if (auth === undefined) return true;
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return false;
  const given = Buffer.from(header.slice("Basic ".length), "base64");
  const expected = Buffer.from(`${auth.username}:${auth.password}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function serve(dir: string, auth: BasicAuth | undefined, req: IncomingMessage, res: ServerResponse): Promise<number> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return 405;
  }
  if (!authorized(req, auth)) {
    res.writeHead(401, { "www-authenticate": 'Basic realm="charts"' }).end();
    return 401;
  }
  const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/+/, "");
  const type = CONTENT_TYPES[name.slice(name.lastIndexOf("."))];
  // Flat directory: only its own files, never a path with a separator.
  if (type === undefined || name !== basename(name)) {
    res.writeHead(404).end();
    return 404;
  }
  const path = join(dir, name);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    res.writeHead(404).end();
    return 404;
  }
  res.writeHead(200, { "content-type": type, "content-length": info.size });
  if (req.method === "HEAD") res.end();
  else createReadStream(path).pipe(res);
  return 200;
}

/** Copies the charts into a fresh directory, indexes it and serves it on a free loopback port. */
export async function startChartRepo(options: ChartRepoOptions): Promise<ChartRepo> {
  const dir = await mkdtemp(join(tmpdir(), "berth-chart-repo-"));
  try {
    for (const chart of options.charts) await copyFile(chart, join(dir, basename(chart)));
    // Relative chart URLs: helm resolves them against the repository URL, whatever port it gets.
    await execa(options.helm, ["repo", "index", dir]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const requests: string[] = [];
  const server = createServer((req, res) => {
    serve(dir, options.auth, req, res).then(
      (status) => requests.push(`${req.method} ${req.url} ${status}`),
      (error: unknown) => {
        requests.push(`${req.method} ${req.url} 500`);
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => {
      void rm(dir, { recursive: true, force: true });
      reject(error);
    });
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("chart repo: no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
