// Assembles every route into one node:http server and starts it listening.
import { createServer, type Server } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { UsageError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { apiRoutes, type ApiOptions } from "./api.ts";
import type { TokenEntry } from "./auth.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoute, type Metrics } from "./metrics.ts";
import { openapiRoute } from "./openapi.ts";
import { graphRoute } from "./graph.ts";
import { liveRoute } from "./live.ts";
import { PAGE_PATH, pageRoute } from "./page.ts";
import { whoamiRoute } from "./whoami.ts";
import { createRouter, type Route, type Router } from "./router.ts";
import { webhookRoute, type WebhookOptions } from "./webhook.ts";

export interface AppOptions extends ApiOptions {
  metrics: Metrics;
  webhook: Omit<WebhookOptions, "log">;
  log: Logger;
  /** --auth-file's tokens, read per request; absent: no --auth-file (reads open, no actions). */
  tokens?: () => readonly TokenEntry[];
  /** More routes (per-release reads, actions), each declaring its access like the others. */
  routes?: Route[];
}

export function createApp(o: AppOptions): Router {
  const routes: Route[] = [
    pageRoute(),
    whoamiRoute(),
    liveRoute(o.state),
    graphRoute(o.state),
    ...healthRoutes(o.state),
    metricsRoute(o.metrics),
    ...apiRoutes(o),
    ...(o.routes ?? []),
    webhookRoute({ ...o.webhook, log: o.log }),
  ];
  routes.push(openapiRoute(() => routes));
  return createRouter(routes, o.log, o.tokens ? { tokens: o.tokens } : {});
}

/**
 * The public routes of `app` only (probes, metrics, webhook): what a second
 * listener off loopback serves. The page's shell is public too (it holds no
 * data and asks for a token), but it belongs with the API, not the probes.
 */
export function publicRouter(app: Router, log: Logger): Router {
  return createRouter(
    app.routes.filter((r) => r.access === "public" && r.path !== PAGE_PATH),
    log,
  );
}

/**
 * Where the API and page listen: `host`, by default 0.0.0.0 with tokens and
 * 127.0.0.1 without; without tokens, an address off loopback is refused.
 */
export function apiHost(host: string | undefined, withTokens: boolean): string {
  const h = host ?? (withTokens ? "0.0.0.0" : "127.0.0.1");
  if (!withTokens && !isLoopback(h)) {
    throw new UsageError(`--host ${h} would serve the API and page to the network without tokens: give --auth-file, or keep --host on loopback (127.0.0.1) and use --probe-port for /healthz, /readyz, /metrics and /hooks/git`);
  }
  return h;
}

/** 127.0.0.0/8, ::1 and localhost: the addresses only this host reaches. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host.startsWith("::ffff:127.");
}

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one); close() ends open connections too. */
export async function listen(router: Router, port: number, host = "127.0.0.1"): Promise<Listening> {
  const server = createServer((req, res) => void router.handle(req, res));
  // Slow clients must not hold a socket forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return {
    url: `http://${shown}:${addr.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
