// The logs of a release's step Jobs, in one Secret beside it
// (berth-steps-<release>): a migration that prints a password must not land in
// the memo ConfigMap, which anyone who reads ConfigMaps there can read. Read
// only when history is asked for with logs, never by the loop's listing.
import type * as k8s from "@kubernetes/client-node";
import { LABELS } from "../../model/labels.ts";
import { httpStatus, type Call } from "./call.ts";

export interface StepLogStore {
  /** Keeps the logs of step Job `job` (the newest MAX_STEP_LOGS jobs per release are kept). */
  writeStepLogs(namespace: string, release: string, job: string, logs: string): Promise<void>;
  /** Step logs of a release by Job name; empty when it has none. */
  readStepLogs(namespace: string, release: string): Promise<Record<string, string>>;
}

export const MAX_STEP_LOGS = 100;
export const MAX_STEP_LOG_CHARS = 4_000;

interface Entry {
  job: string;
  at: string;
  logs: string;
}

export const stepLogsSecretName = (release: string) => `berth-steps-${release}`;

function parse(secret: k8s.V1Secret | undefined): Entry[] {
  const raw = secret?.data?.["logs.json"];
  if (!raw) return [];
  try {
    const v = JSON.parse(Buffer.from(raw, "base64").toString("utf8")) as unknown;
    return Array.isArray(v) ? (v as Entry[]) : [];
  } catch {
    return [];
  }
}

export function stepLogStore(core: k8s.CoreV1Api, call: Call): StepLogStore {
  async function read(namespace: string, release: string): Promise<k8s.V1Secret | undefined> {
    try {
      return await call("read step logs", () => core.readNamespacedSecret({ name: stepLogsSecretName(release), namespace }));
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw err;
    }
  }
  return {
    async writeStepLogs(namespace, release, job, logs) {
      const name = stepLogsSecretName(release);
      const old = await read(namespace, release);
      const entries = [...parse(old).filter((e) => e.job !== job), { job, at: new Date().toISOString(), logs: logs.slice(-MAX_STEP_LOG_CHARS) }].slice(-MAX_STEP_LOGS);
      const body: k8s.V1Secret = {
        metadata: { name, namespace, labels: { [LABELS.managed]: "true", [LABELS.stepLogs]: "true", [LABELS.release]: release } },
        type: "Opaque",
        data: { "logs.json": Buffer.from(JSON.stringify(entries)).toString("base64") },
      };
      if (old) await call("write step logs", () => core.replaceNamespacedSecret({ name, namespace, body }));
      else await call("create step logs", () => core.createNamespacedSecret({ namespace, body }));
    },
    async readStepLogs(namespace, release) {
      return Object.fromEntries(parse(await read(namespace, release)).map((e) => [e.job, e.logs]));
    },
  };
}
