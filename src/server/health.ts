// Probes: /healthz says the process serves requests; /readyz says it is worth
// sending traffic to (a pass finished, the source is reachable) and, in the
// detail, whether this replica leads.
import { Alive, Readiness } from "./api-schemas.ts";
import { readiness, type ServeState } from "./state.ts";
import { defineRoute, type Route } from "./router.ts";

/** Public: the kubelet probes them over the pod IP, without a token. */
export function healthRoutes(state: ServeState): Route[] {
  return [
    defineRoute({
      method: "GET",
      path: "/healthz",
      summary: "The process is alive",
      access: "public",
      responses: { 200: { description: "OK", schema: Alive } },
      handle: ({ send }) => send(200, { alive: true }),
    }),
    defineRoute({
      method: "GET",
      path: "/readyz",
      summary: "Ready: a pass finished and the source is reachable; says whether this replica leads",
      access: "public",
      responses: { 200: { description: "Ready", schema: Readiness }, 503: { description: "Not ready", schema: Readiness } },
      handle: ({ send }) => {
        const r = readiness(state);
        if (r.ready) send(200, r);
        else send(503, r);
      },
    }),
  ];
}
