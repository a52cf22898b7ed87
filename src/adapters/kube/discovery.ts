// Whether a kind lives in a namespace, from the API server's discovery (for
// kinds no built-in list knows, such as a CRD's): the pre-install check of a
// Project's release asks it. One discovery list per API version, kept.
import * as k8s from "@kubernetes/client-node";
import { httpStatus, type Call } from "./call.ts";

export type KindScope = "Cluster" | "Namespaced";

export interface KindScopes {
  /** The kind's scope on this cluster; undefined when the cluster does not serve it. */
  kindScope(apiVersion: string, kind: string): Promise<KindScope | undefined>;
}

// client-node's discovery lookup (with its cache) is protected on the object API.
class Discovery extends k8s.KubernetesObjectApi {
  scopeOf(apiVersion: string, kind: string): Promise<k8s.V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }
}

export function kindScopes(kc: k8s.KubeConfig, call: Call): KindScopes {
  const discovery = kc.makeApiClient(Discovery);
  return {
    async kindScope(apiVersion, kind) {
      try {
        const r = await call(`discover ${kind} (${apiVersion})`, () => discovery.scopeOf(apiVersion, kind));
        return r ? (r.namespaced ? "Namespaced" : "Cluster") : undefined;
      } catch (err) {
        if (httpStatus(err) === 404) return undefined;
        throw err;
      }
    },
  };
}
