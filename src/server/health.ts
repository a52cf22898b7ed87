// Probes: /healthz says the process serves requests; /readyz says it is worth
// sending traffic to (a pass finished, the source is reachable) and, in the
// detail, whether this replica leads.
import { readiness, type ServeState } from "./state.ts";
import { sendJson, type Route } from "./router.ts";

export function healthRoutes(state: ServeState): Route[] {
  return [
    { method: "GET", path: "/healthz", handle: ({ res }) => sendJson(res, 200, { alive: true }) },
    {
      method: "GET",
      path: "/readyz",
      handle: ({ res }) => {
        const r = readiness(state);
        sendJson(res, r.ready ? 200 : 503, r);
      },
    },
  ];
}
