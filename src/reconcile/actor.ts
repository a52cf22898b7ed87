// Who asked for an action through the API: a token's name and role from
// berth serve's --auth-file. The reconcile loop's own actions have none.

/** viewer: reads everything; operator: reads, and acts on the applications its token lists; admin: everything. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  /** The token's name in the auth file (never the token or its hash). */
  name: string;
  role: Role;
}
