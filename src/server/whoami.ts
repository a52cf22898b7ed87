// GET /api/v1/whoami: the caller as the server sees it, so the page shows
// only the actions its token may take (the server decides each one anyway).
// Without --auth-file there is no caller: "anonymous", who reads and never acts.
import { Type } from "@sinclair/typebox";
import { ROLES } from "../reconcile/actor.ts";
import { StringEnum } from "./api-schemas.ts";
import { defineRoute, type Route } from "./router.ts";

export const WHOAMI_ROLES = [...ROLES, "anonymous"] as const;

export const Whoami = Type.Object(
  {
    name: Type.Optional(Type.String({ description: "the token's name in --auth-file" })),
    role: StringEnum(WHOAMI_ROLES, { description: "anonymous: serve runs without --auth-file (reads on loopback, no actions)" }),
    applications: Type.Optional(Type.Array(Type.String(), { description: "an operator's: the applications it may act on" })),
  },
  { title: "Whoami" },
);

export function whoamiRoute(): Route {
  return defineRoute({
    method: "GET",
    path: "/api/v1/whoami",
    summary: "The caller: its token's name, role and (operator) applications; anonymous without --auth-file",
    access: "read",
    responses: { 200: { description: "OK", schema: Whoami } },
    handle: ({ send, identity }) => {
      if (!identity) return send(200, { role: "anonymous" });
      send(200, { name: identity.name, role: identity.role, ...(identity.applications ? { applications: [...identity.applications] } : {}) });
    },
  });
}
