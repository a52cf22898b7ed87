// What a cluster keeps of an application's rollout, so that a restarted berth
// or another replica decides the same: since when the application has been
// done there at its digest, and the approvals given for its wave. One
// ConfigMap per application (`berth-rollout-<application>`) in its namespace,
// listed in one call. The loop and `berth approve` write different keys with
// server-side apply under their own field managers, so neither overwrites the
// other (no read-modify-write race).
import type * as k8s from "@kubernetes/client-node";
import { LABELS } from "../../model/labels.ts";
import type { Call } from "./call.ts";

export interface WaveApproval {
  wave: number;
  /** The revision approved, and the application's digest in it (a commit that leaves the application alone keeps the approval). */
  revision: string;
  digest: string;
  by: string;
  at: string;
}

export interface RolloutRecord {
  application: string;
  namespace: string;
  /** The application's digest on this cluster when it was last seen done, and since when. */
  done?: { digest: string; revision: string; since: string };
  approvals: WaveApproval[];
}

export interface RolloutRecordStore {
  listRolloutRecords(): Promise<RolloutRecord[]>;
  /** Marks the application done at `digest` on this cluster since `since`. */
  writeRolloutDone(r: { application: string; namespace: string; digest: string; revision: string; since: string }): Promise<void>;
  /** Stores an approval of one wave (replacing an earlier approval of the same wave). */
  writeApproval(r: { application: string; namespace: string; approval: WaveApproval }): Promise<void>;
}

export const rolloutRecordName = (application: string) => `berth-rollout-${application}`;

type Apply = (obj: Record<string, unknown>, opts: { fieldManager: string; force: boolean }) => Promise<void>;

const approvalKey = (wave: number) => `approval.wave-${wave}`;

function parseApproval(text: string | undefined, wave: number): WaveApproval | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<WaveApproval>;
    if (typeof v.revision !== "string" || typeof v.digest !== "string" || typeof v.by !== "string" || typeof v.at !== "string") return undefined;
    return { wave, revision: v.revision, digest: v.digest, by: v.by, at: v.at };
  } catch {
    // A record someone edited into something else approves nothing.
    return undefined;
  }
}

export function rolloutRecordStore(core: k8s.CoreV1Api, call: Call, apply: Apply): RolloutRecordStore {
  const object = (application: string, namespace: string, data: Record<string, string>) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: rolloutRecordName(application), namespace, labels: { [LABELS.rollout]: "true", [LABELS.application]: application } },
    data,
  });
  return {
    async listRolloutRecords() {
      const list = await call("list berth rollout records", () => core.listConfigMapForAllNamespaces({ labelSelector: `${LABELS.rollout}=true` }));
      const out: RolloutRecord[] = [];
      for (const cm of list.items ?? []) {
        const application = cm.metadata?.labels?.[LABELS.application];
        const namespace = cm.metadata?.namespace;
        if (!application || !namespace) continue;
        const d = cm.data ?? {};
        const approvals = Object.keys(d)
          .map((k) => /^approval\.wave-(\d+)$/.exec(k))
          .flatMap((m) => {
            const a = m ? parseApproval(d[m[0]], Number(m[1])) : undefined;
            return a ? [a] : [];
          });
        out.push({
          application,
          namespace,
          ...(d.doneDigest && d.doneSince && d.doneRevision ? { done: { digest: d.doneDigest, revision: d.doneRevision, since: d.doneSince } } : {}),
          approvals,
        });
      }
      return out;
    },
    async writeRolloutDone(r) {
      await apply(object(r.application, r.namespace, { doneDigest: r.digest, doneRevision: r.revision, doneSince: r.since }), { fieldManager: "berth-rollout", force: true });
    },
    async writeApproval(r) {
      const { wave, ...rest } = r.approval;
      await apply(object(r.application, r.namespace, { [approvalKey(wave)]: JSON.stringify(rest) }), { fieldManager: `berth-approval-wave-${wave}`, force: true });
    },
  };
}
