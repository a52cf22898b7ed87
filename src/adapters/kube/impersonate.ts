// Acting as another identity on every request of a client (Flux's
// service-account impersonation): the API server checks RBAC for that
// identity, so a Project's releases can do only what its ServiceAccount may.
import type * as k8s from "@kubernetes/client-node";

export interface Impersonation {
  /** A Kubernetes user name, e.g. `system:serviceaccount:shop:berth-shop`. */
  user: string;
  groups: readonly string[];
}

const SA = /^system:serviceaccount:([^:]+):[^:]+$/;

/**
 * The groups to send for `who`. A ServiceAccount's groups (system:serviceaccounts,
 * system:serviceaccounts:<ns>, system:authenticated) are added by the API server
 * itself when none are sent, so for those berth sends none: it then needs only
 * `impersonate` on serviceaccounts, never the right to impersonate a group
 * (deploy/berth's rbac.impersonate). Any other group is sent, with all of them.
 */
export function groupsToSend(who: Impersonation): readonly string[] {
  const ns = SA.exec(who.user)?.[1];
  if (ns === undefined) return who.groups;
  const implied = new Set(["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"]);
  return who.groups.every((g) => implied.has(g)) ? [] : who.groups;
}

/**
 * client-node keeps one value per header name, but the API server takes one
 * group per `Impersonate-Group` line; header names are case-insensitive, so
 * each group gets a spelling of its own and goes out as a line of its own.
 */
export function groupHeaderName(i: number): string {
  let bit = 0;
  return [..."Impersonate-Group"]
    .map((c) => {
      if (!/[a-z]/i.test(c)) return c;
      const flip = (i >> bit++) & 1;
      return flip ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c;
    })
    .join("");
}

/** Makes every client created from `kc` (API clients, watches, logs) act as `who`. */
export function impersonate(kc: k8s.KubeConfig, who: Impersonation): void {
  const groups = groupsToSend(who);
  // Per instance, so berth's own KubeConfig for the cluster keeps its identity.
  const applyAuth = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx) => {
    await applyAuth(ctx);
    // set after the kubeconfig's own `as`, so it cannot widen or replace this identity
    ctx.setHeaderParam("Impersonate-User", who.user);
    groups.forEach((g, i) => ctx.setHeaderParam(groupHeaderName(i), g));
  };
  const applyHttps = kc.applyToHTTPSOptions.bind(kc);
  kc.applyToHTTPSOptions = async (opts) => {
    await applyHttps(opts);
    const headers = (opts.headers ??= {});
    headers["Impersonate-User"] = who.user;
    if (groups.length) headers["Impersonate-Group"] = [...groups];
  };
}
