// POST /api/v1/applications/{application}/approve: a person lets a wave with
// `approval: manual` go, for the revision the latest snapshot holds, recorded
// with the token's name (reconcile/approve.ts). Any replica may answer: the
// approval is stored on the wave's clusters, and the leader's next pass (asked
// for at once) reads it there.
import { Type } from "@sinclair/typebox";
import type { Logger } from "../log.ts";
import type { Cluster } from "../model/types.ts";
import { ApprovalRefused, approvalTarget, storeApproval } from "../reconcile/approve.ts";
import type { ClusterTarget } from "../reconcile/cluster.ts";
import { ErrorBody } from "./api-schemas.ts";
import { defineRoute, HttpError, type Route } from "./router.ts";
import type { ServiceControl } from "./service.ts";
import { newest, type ServeState } from "./state.ts";

export const ApproveParams = Type.Object({ application: Type.String({ description: "an Application's name" }) });
export const ApproveBody = Type.Object(
  {
    wave: Type.Optional(Type.Integer({ minimum: 1, description: "the wave to approve, from 1 (default: the one waiting for approval)" })),
    revision: Type.Optional(Type.String({ minLength: 7, description: "approve only if berth applies this revision now (a commit or a prefix of at least 7 characters)" })),
  },
  { additionalProperties: false },
);
export const Approval = Type.Object(
  {
    application: Type.String(),
    wave: Type.Integer(),
    revision: Type.String({ description: "the revision approved" }),
    by: Type.String({ description: "the token's name" }),
    at: Type.String({ format: "date-time" }),
    stored: Type.Array(Type.String(), { description: "the clusters of the wave that hold the approval" }),
    failed: Type.Array(Type.Object({ cluster: Type.String(), error: Type.String() })),
  },
  { title: "Approval" },
);

export interface ApproveRouteOptions {
  state: ServeState;
  control: Pick<ServiceControl, "trigger">;
  targets(clusters: Cluster[]): ClusterTarget[];
  log: Logger;
}

export function approveRoute(o: ApproveRouteOptions): Route {
  return defineRoute({
    method: "POST",
    path: "/api/v1/applications/{application}/approve",
    summary: "Approve the wave of an application that waits for approval (placement.rollout.waves[].approval: manual), for the revision berth applies now",
    access: { action: (p) => p.application },
    params: ApproveParams,
    body: ApproveBody,
    responses: {
      200: { description: "Approved: stored on at least one cluster of the wave; a pass is asked for", schema: Approval },
      404: { description: "Unknown application or wave", schema: ErrorBody },
      409: { description: "Nothing to approve: no such wave asks for approval, it is done, the revision is not the current one", schema: ErrorBody },
      502: { description: "No cluster of the wave could store the approval", schema: ErrorBody },
      503: { description: "No revision is loaded yet", schema: ErrorBody },
    },
    handle: async ({ send, params, body, identity }) => {
      // The newest of the last run and the snapshot: what berth applies now.
      const latest = newest(o.state);
      const desired = latest?.desired;
      if (!latest || !desired) throw new HttpError(503, "no revision is loaded yet; ask again after the first pass");
      let target;
      try {
        target = approvalTarget(desired, latest.rollout?.find((r) => r.application === params.application), {
          application: params.application,
          ...(body.wave !== undefined ? { wave: body.wave } : {}),
          ...(body.revision !== undefined ? { revision: body.revision } : {}),
        });
      } catch (err) {
        if (err instanceof ApprovalRefused) throw new HttpError(err.status, err.message);
        throw err;
      }
      const by = identity?.name ?? "anonymous";
      const clusters = desired.repo.clusters.filter((c) => target.wave.clusters.includes(c.metadata.name));
      const out = await storeApproval(target, o.targets(clusters), by);
      if (out.stored.length === 0) throw new HttpError(502, `no cluster of wave ${out.wave} could store the approval: ${out.failed.map((f) => `${f.cluster}: ${f.error}`).join("; ")}`);
      o.log.info({ application: out.application, wave: out.wave, revision: out.revision, by }, "wave approved");
      o.control.trigger();
      send(200, out);
    },
  });
}
