// Assembles every route into one node:http server and starts it listening.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.ts";
import { apiRoutes, type ApiOptions } from "./api.ts";
import { healthRoutes } from "./health.ts";
import { metricsRoute, type Metrics } from "./metrics.ts";
import { openapiRoute } from "./openapi.ts";
import { pageRoute } from "./page.ts";
import { createRouter, type Router } from "./router.ts";
import { webhookRoute, type WebhookOptions } from "./webhook.ts";

export interface AppOptions extends ApiOptions {
  metrics: Metrics;
  webhook: Omit<WebhookOptions, "log">;
  log: Logger;
}

export function createApp(o: AppOptions): Router {
  return createRouter(
    [
      pageRoute(),
      ...healthRoutes(o.state),
      metricsRoute(o.metrics),
      openapiRoute(),
      ...apiRoutes(o),
      webhookRoute({ ...o.webhook, log: o.log }),
    ],
    o.log,
  );
}

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Listens on host:port (port 0 picks a free one); close() ends open connections too. */
export async function listen(router: Router, port: number, host = "0.0.0.0"): Promise<Listening> {
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
