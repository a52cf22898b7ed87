// What a release looked like before `adopt: replace` uninstalled it: its
// manifest and values, in one Secret beside it (berth-adopted-<release>), as
// step logs are kept (step-logs.ts): values may hold passwords, so they go in
// a Secret, never in the memo ConfigMap or a log line. Bounded: a Secret holds
// at most 1 MiB, and berth keeps well under it.
import type * as k8s from "@kubernetes/client-node";
import { LABELS } from "../../model/labels.ts";
import { httpStatus, type Call } from "./call.ts";

/** The release as berth found it before replacing it. */
export interface AdoptedRelease {
  revision: number;
  status: string;
  chart?: { name: string; version: string };
  manifest: string;
  values: Record<string, unknown>;
}

/** What the Secret keeps (and says it cut). */
export interface KeptRelease {
  at: string; // ISO time it was kept
  revision: number;
  status: string;
  chart?: { name: string; version: string };
  manifest: string;
  /** The values as JSON text (cut like the manifest when too large). */
  values: string;
  /** Set when the manifest or values were longer than MAX_ADOPTED_CHARS allows and their tail was cut. */
  truncated?: true;
}

export interface AdoptedStore {
  /** Keeps the release's old manifest and values in `berth-adopted-<release>` (the last replaced one); returns the Secret's name. */
  keepAdopted(namespace: string, release: string, old: AdoptedRelease): Promise<{ secret: string; truncated: boolean }>;
  /** What the Secret keeps; undefined when berth never replaced the release. */
  readAdopted(namespace: string, release: string): Promise<KeptRelease | undefined>;
}

/** Manifest and values together, in characters: a quarter of what a Secret may hold. */
export const MAX_ADOPTED_CHARS = 256 * 1024;

export const adoptedSecretName = (release: string) => `berth-adopted-${release}`;

const CUT = "\n# (cut by berth: longer than it keeps)\n";

/** The record to keep, with the manifest (then the values) cut to fit MAX_ADOPTED_CHARS. */
export function keptRelease(old: AdoptedRelease, at: string): KeptRelease {
  const values = JSON.stringify(old.values);
  const room = MAX_ADOPTED_CHARS - Math.min(values.length, MAX_ADOPTED_CHARS / 2);
  const manifest = old.manifest.length > room ? old.manifest.slice(0, room) + CUT : old.manifest;
  const keptValues = values.length > MAX_ADOPTED_CHARS / 2 ? values.slice(0, MAX_ADOPTED_CHARS / 2) : values;
  const truncated = manifest !== old.manifest || keptValues !== values;
  return {
    at,
    revision: old.revision,
    status: old.status,
    ...(old.chart ? { chart: old.chart } : {}),
    manifest,
    values: keptValues,
    ...(truncated ? { truncated: true as const } : {}),
  };
}

export function adoptedStore(core: k8s.CoreV1Api, call: Call): AdoptedStore {
  async function read(namespace: string, release: string): Promise<k8s.V1Secret | undefined> {
    try {
      return await call("read adopted release", () => core.readNamespacedSecret({ name: adoptedSecretName(release), namespace }));
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }
  return {
    async keepAdopted(namespace, release, old) {
      const name = adoptedSecretName(release);
      const kept = keptRelease(old, new Date().toISOString());
      const body: k8s.V1Secret = {
        metadata: { name, namespace, labels: { [LABELS.managed]: "true", [LABELS.release]: release } },
        type: "Opaque",
        data: { "adopted.json": Buffer.from(JSON.stringify(kept)).toString("base64") },
      };
      if (await read(namespace, release)) await call("write adopted release", () => core.replaceNamespacedSecret({ name, namespace, body }));
      else await call("create adopted release", () => core.createNamespacedSecret({ namespace, body }));
      return { secret: name, truncated: kept.truncated === true };
    },
    async readAdopted(namespace, release) {
      const raw = (await read(namespace, release))?.data?.["adopted.json"];
      if (!raw) return undefined;
      try {
        return JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as KeptRelease;
      } catch {
        return undefined;
      }
    },
  };
}
