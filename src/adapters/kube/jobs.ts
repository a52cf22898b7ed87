// Declared upgrade and rollback steps run as Kubernetes Jobs. A Job's name is
// its identity within a move: creating one that exists means a restarted berth
// resumes waiting for it rather than running the step twice — provided the
// existing Job carries the same move label, so a Job of another move is never
// taken for this one.
import type * as k8s from "@kubernetes/client-node";
import { KubeError } from "../../errors.ts";
import { LABELS } from "../../model/labels.ts";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext, stepResources, TMP_MOUNT_PATH } from "../../model/pod-security.ts";
import type { ImagePullPolicy, JsonObject, Resources } from "../../model/types.ts";
import { httpStatus, sleep, type Call } from "./call.ts";
import { refusalMessages } from "./pod-refusals.ts";

export interface JobSpec {
  namespace: string;
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  imagePullPolicy?: ImagePullPolicy;
  /** Default: small requests and limits (stepResources). */
  resources?: Resources;
  /** The pod's and the container's securityContext; default: Pod Security "restricted". */
  podSecurityContext?: JsonObject;
  securityContext?: JsonObject;
  labels: Record<string, string>;
  /** The move the Job belongs to (label berth.dev/move). */
  move: string;
  timeoutMs: number;
}

export interface JobResult {
  succeeded: boolean;
  logs: string;
  message: string;
}

export interface JobRunner {
  runJob(spec: JobSpec): Promise<JobResult>;
}

/**
 * The Job of one step: run once (no retries), kept a day, bounded by the
 * step's timeout; a pod Pod Security "restricted" admits unless the spec says
 * otherwise, with a writable emptyDir at /tmp beside its read-only root.
 */
export function stepJob(spec: JobSpec): k8s.V1Job {
  const labels = { ...spec.labels, [LABELS.move]: spec.move };
  return {
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 86_400,
      activeDeadlineSeconds: Math.ceil(spec.timeoutMs / 1000),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          securityContext: spec.podSecurityContext ?? restrictedPodSecurityContext(),
          containers: [
            {
              name: "step",
              image: spec.image,
              ...(spec.imagePullPolicy ? { imagePullPolicy: spec.imagePullPolicy } : {}),
              ...(spec.command ? { command: spec.command } : {}),
              ...(spec.args ? { args: spec.args } : {}),
              env: Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
              resources: (spec.resources ?? stepResources()) as k8s.V1ResourceRequirements,
              securityContext: spec.securityContext ?? restrictedContainerSecurityContext(),
              volumeMounts: [{ name: "tmp", mountPath: TMP_MOUNT_PATH }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
    },
  };
}

export function jobRunner(cluster: string, core: k8s.CoreV1Api, batch: k8s.BatchV1Api, call: Call): JobRunner {
  async function jobLogs(namespace: string, job: string): Promise<string> {
    try {
      const pods = await call("list step pods", () => core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` }));
      const parts: string[] = [];
      for (const p of pods.items) {
        const name = p.metadata?.name ?? "";
        try {
          parts.push(await call("read step logs", () => core.readNamespacedPodLog({ name, namespace, tailLines: 200 })));
        } catch {
          // A node without a kubelet (or a pod that never started) has no logs; say so in the record.
          const st = p.status?.containerStatuses?.[0]?.state;
          parts.push(`[no logs from ${name}; phase ${p.status?.phase ?? "unknown"}${st?.terminated ? `, exit ${st.terminated.exitCode}` : ""}]`);
        }
      }
      return parts.join("\n");
    } catch {
      return "";
    }
  }

  /** The Job controller's FailedCreate Events for this Job: its name is its move's, so every one counts (a resumed Job's too). */
  async function refusals(spec: JobSpec): Promise<string[]> {
    try {
      const list = await call("list step job events", () =>
        core.listNamespacedEvent({ namespace: spec.namespace, fieldSelector: `reason=FailedCreate,involvedObject.name=${spec.name}` }),
      );
      return refusalMessages(list.items, spec.name, new Date(0)).filter((m) => m.startsWith(`Job ${spec.name}:`));
    } catch {
      return [];
    }
  }

  return {
    async runJob(spec) {
      const body = stepJob(spec);
      let existed = false;
      try {
        await call("create step job", () => batch.createNamespacedJob({ namespace: spec.namespace, body }));
      } catch (err) {
        // The same step of the same move already exists: a restarted berth waits for it instead of running it twice.
        if (httpStatus(err) !== 409) throw err;
        existed = true;
      }
      const deadline = Date.now() + spec.timeoutMs;
      let polls = 0;
      for (;;) {
        const job = await call("read step job", () => batch.readNamespacedJob({ name: spec.name, namespace: spec.namespace }));
        const owner = job.metadata?.labels?.[LABELS.move];
        if (existed && owner !== spec.move) {
          throw new KubeError(
            cluster,
            `step job ${spec.namespace}/${spec.name} already exists but belongs to ${owner ? `move ${owner}` : "no berth move"}, not to move ${spec.move}; ` +
              `berth will not take its result for this move: delete that Job (kubectl -n ${spec.namespace} delete job ${spec.name}) and reconcile again`,
          );
        }
        const conds = job.status?.conditions ?? [];
        const done = conds.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");
        if (done) {
          const logs = await jobLogs(spec.namespace, spec.name);
          return { succeeded: done.type === "Complete", logs, message: done.message ?? done.reason ?? done.type };
        }
        // a pod the API server refuses (Pod Security, a quota) never comes: say so now, in its words
        const refused = polls++ % 10 === 9 || Date.now() > deadline ? await refusals(spec) : [];
        if (refused.length) return { succeeded: false, logs: "", message: `its pod was refused: ${refused.join("; ")}` };
        if (Date.now() > deadline) return { succeeded: false, logs: await jobLogs(spec.namespace, spec.name), message: `did not finish within ${spec.timeoutMs} ms` };
        await sleep(500);
      }
    },
  };
}
