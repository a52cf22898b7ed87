// The OpenAPI 3.1 description of everything the server answers, served at
// /api/v1/openapi.json. Written by hand (not derived from the router) so a
// test can hold the two against each other.
import { sendJson, type Route } from "./router.ts";

const json = (schema: object, description = "OK") => ({ description, content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => json(ref("Error"), description);
const get = (summary: string, ok: object, extra: object = {}) => ({ get: { summary, responses: { "200": ok, ...extra } } });
const noSnapshot = { "503": error("No status yet: the first reconcile has not finished") };

const schemas = {
  Error: { type: "object", required: ["error"], properties: { error: { type: "string" } } },
  FieldOwner: {
    type: "object",
    description: "The field manager that last wrote a field, from the live object's metadata.managedFields",
    required: ["manager", "operation", "exact"],
    properties: {
      manager: { type: "string", description: "e.g. kubectl-set, kubectl-edit, helm" },
      operation: { type: "string", description: "Apply (server-side apply) or Update" },
      time: { type: "string", format: "date-time" },
      exact: { type: "boolean", description: "false: no manager owns the field now (someone removed it); this is the object's most recent update" },
    },
  },
  FieldDrift: {
    type: "object",
    required: ["path"],
    properties: {
      path: { type: "string", description: "e.g. spec.template.spec.containers[0].image" },
      expected: { description: "what Helm applied (a Secret's values: [redacted])" },
      live: { description: "what the live object holds; absent when the field is gone" },
      by: ref("FieldOwner"),
    },
  },
  Readiness: {
    type: "object",
    required: ["ready", "firstReconcile", "sourceReachable", "leader", "reasons"],
    properties: {
      ready: { type: "boolean" },
      firstReconcile: { type: "boolean" },
      sourceReachable: { type: "boolean" },
      leader: { type: "boolean", description: "false on a replica that only serves the read API" },
      revision: { type: "string" },
      lastAppliedRevision: { type: "string" },
      reasons: { type: "array", items: { type: "string" } },
    },
  },
  LastAction: {
    type: "object",
    properties: {
      action: { type: "string" },
      at: { type: "string", format: "date-time" },
      result: { enum: ["succeeded", "failed"] },
      fromVersion: { type: "string" },
      toVersion: { type: "string" },
      commit: { type: "string" },
    },
  },
  Release: {
    type: "object",
    required: ["name", "namespace", "health", "suspended"],
    properties: {
      cluster: { type: "string" },
      name: { type: "string" },
      namespace: { type: "string" },
      application: { type: "string" },
      desiredVersion: { type: "string" },
      deployedVersion: { type: "string" },
      helmRevision: { type: "integer" },
      helmStatus: { type: "string" },
      health: { enum: ["healthy", "unhealthy", "absent", "unknown"] },
      healthMessage: { type: "string" },
      suspended: { type: "boolean" },
      lastAction: ref("LastAction"),
      lastError: { type: "string" },
      blocked: { type: "string", description: "why the release cannot act now" },
    },
  },
  ClusterStatus: {
    type: "object",
    required: ["name", "reachable", "paused", "releases"],
    properties: {
      name: { type: "string" },
      reachable: { type: "boolean" },
      since: { type: "string", format: "date-time" },
      error: { type: "string" },
      paused: { type: "boolean" },
      releases: { type: "array", items: ref("Release") },
    },
  },
  Status: {
    type: "object",
    required: ["source", "clusters", "blocked", "observedAt", "leader"],
    properties: {
      source: { type: "string" },
      revision: { type: "string", description: "the newest revision of the source" },
      lastAppliedRevision: { type: "string" },
      sourceStale: { type: "object", properties: { since: { type: "string" }, error: { type: "string" } } },
      invalidRevision: { type: "object", properties: { sha: { type: "string" }, errors: { type: "array", items: { type: "string" } } } },
      clusters: { type: "array", items: ref("ClusterStatus") },
      blocked: { type: "object", additionalProperties: { type: "string" }, description: "`cluster/release` -> reason" },
      drift: {
        type: "object",
        additionalProperties: { type: "array", items: { type: "string" } },
        description:
          "`cluster/release` -> drifted fields left after the leader's last drift check (absent when none), as `Kind/name: path: expected -> live (by <manager> <operation> at <time>)`, or `(last update of the object: <manager> at <time>)` when no manager owns the field now",
      },
      observedAt: { type: "string", format: "date-time" },
      leader: { type: "boolean" },
    },
  },
  ClusterSummary: {
    type: "object",
    required: ["name", "reachable", "paused", "releases", "healthy"],
    properties: {
      name: { type: "string" },
      reachable: { type: "boolean" },
      paused: { type: "boolean" },
      since: { type: "string" },
      error: { type: "string" },
      releases: { type: "integer" },
      healthy: { type: "integer" },
    },
  },
  Application: {
    type: "object",
    required: ["name", "clusters"],
    properties: {
      name: { type: "string" },
      clusters: { type: "object", additionalProperties: { type: "object", properties: { releases: { type: "integer" }, healthy: { type: "integer" } } } },
    },
  },
  ActionRecord: {
    type: "object",
    required: ["at", "commit", "cluster", "release", "namespace", "action", "steps", "result", "durationMs"],
    properties: {
      at: { type: "string", format: "date-time" },
      commit: { type: "string" },
      cluster: { type: "string" },
      release: { type: "string" },
      namespace: { type: "string" },
      application: { type: "string" },
      action: { enum: ["install", "upgrade", "rollback", "remediate", "unlock", "uninstall", "adopt", "correct-drift"] },
      fromVersion: { type: "string" },
      toVersion: { type: "string" },
      steps: {
        type: "array",
        items: {
          type: "object",
          properties: { kind: { enum: ["run", "rollback"] }, to: { type: "string" }, job: { type: "string" }, succeeded: { type: "boolean" }, logs: { type: "string", description: "The step Job's logs: only to a request with a token (Authorization: Bearer); never without" }, message: { type: "string" } },
        },
      },
      result: { enum: ["succeeded", "failed"] },
      error: { type: "string" },
      helmRevision: { type: "integer" },
      durationMs: { type: "integer" },
      drifted: {
        type: "array",
        items: { type: "string" },
        description: "correct-drift: the fields restored, as `Kind/name: path (by <manager> <operation> at <time>)` (or `(last update of the object: <manager> at <time>)`), never their values",
      },
      reason: { type: "string", description: "Why, when the version alone does not say it (a chart re-pushed under the same version)" },
      chartDigest: { type: "string", description: "A third-party chart's content digest applied (sha256:...)" },
      adopted: { type: "object", description: "adopt: what was taken over and how" },
      crds: { type: "object", properties: { created: { type: "array", items: { type: "string" } }, replaced: { type: "array", items: { type: "string" } } } },
    },
  },
  History: {
    type: "object",
    required: ["cluster", "release", "namespace", "suspended", "records"],
    properties: {
      cluster: { type: "string" },
      release: { type: "string" },
      namespace: { type: "string" },
      suspended: { type: "boolean" },
      records: { type: "array", items: ref("ActionRecord") },
    },
  },
  PlannedRelease: {
    type: "object",
    required: ["name", "namespace", "state", "action", "needs"],
    properties: {
      name: { type: "string" },
      namespace: { type: "string" },
      application: { type: "string" },
      state: { enum: ["Absent", "Unmanaged", "Locked", "Failed", "OutOfSync", "InSync", "Orphaned"] },
      reason: { type: "string" },
      action: {
        type: "object",
        required: ["kind", "description"],
        properties: { kind: { enum: ["install", "upgrade", "rollback", "remediate", "unlock", "uninstall", "adopt", "none", "blocked"] }, description: { type: "string" } },
      },
      needs: { type: "array", items: { type: "string" } },
    },
  },
  Plan: {
    type: "object",
    required: ["clusters"],
    properties: {
      revision: { type: "string" },
      sourceError: { type: "string" },
      invalid: { type: "array", items: { type: "object" } },
      observedAt: { type: "string", format: "date-time" },
      clusters: {
        type: "array",
        items: {
          type: "object",
          properties: { cluster: { type: "string" }, reachable: { type: "boolean" }, error: { type: "string" }, releases: { type: "array", items: ref("PlannedRelease") } },
        },
      },
    },
  },
  Run: {
    type: "object",
    required: ["helmCalls", "durationMs", "clusters"],
    properties: {
      revision: { type: "string" },
      sourceError: { type: "string" },
      invalid: { type: "array", items: { type: "object" } },
      helmCalls: { type: "integer" },
      durationMs: { type: "integer" },
      endedAt: { type: "string", format: "date-time" },
      clusters: { type: "array", items: { type: "object" } },
    },
  },
  DriftRun: {
    type: "object",
    required: ["reports", "checkedAt"],
    properties: {
      revision: { type: "string" },
      error: { type: "string", description: "no valid revision could be loaded: nothing was checked" },
      checkedAt: { type: "string", format: "date-time" },
      reports: {
        type: "array",
        items: {
          type: "object",
          required: ["cluster", "application", "release", "namespace", "policy", "drifted", "count"],
          properties: {
            cluster: { type: "string" },
            application: { type: "string" },
            release: { type: "string" },
            namespace: { type: "string" },
            policy: { enum: ["report", "correct"] },
            revision: { type: "integer", description: "the Helm revision compared against" },
            count: { type: "integer", description: "drifted fields found (a missing object counts as one)" },
            corrected: { enum: ["succeeded", "failed"] },
            error: { type: "string" },
            drifted: {
              type: "array",
              items: {
                type: "object",
                required: ["apiVersion", "kind", "name", "fields"],
                properties: {
                  apiVersion: { type: "string" },
                  kind: { type: "string" },
                  namespace: { type: "string" },
                  name: { type: "string" },
                  missing: { type: "boolean" },
                  fields: { type: "array", items: ref("FieldDrift") },
                },
              },
            },
          },
        },
      },
    },
  },
  WebhookResult: { type: "object", properties: { triggered: { type: "boolean" }, provider: { enum: ["github", "gitea", "gitlab"] }, message: { type: "string" } } },
};

export const OPENAPI = {
  openapi: "3.1.0",
  info: { title: "berth", version: "v1", description: "Status, plan and history of a running `berth serve`, its probes, metrics and push webhook." },
  paths: {
    "/": { get: { summary: "Status page (HTML)", responses: { "200": { description: "OK", content: { "text/html": { schema: { type: "string" } } } } } } },
    "/healthz": get("The process is alive", json({ type: "object", properties: { alive: { type: "boolean" } } })),
    "/readyz": get("Ready: a pass finished and the source is reachable; says whether this replica leads", json(ref("Readiness")), { "503": json(ref("Readiness"), "Not ready") }),
    "/metrics": get("Prometheus metrics", { description: "OK", content: { "text/plain": { schema: { type: "string" } } } }),
    "/api/v1/openapi.json": get("This document", json({ type: "object" })),
    "/api/v1/status": get("Per cluster and release: desired and deployed version, health, last action, last error", json(ref("Status")), noSnapshot),
    "/api/v1/clusters": get("Clusters with reachability and release counts", json({ type: "array", items: ref("ClusterSummary") }), noSnapshot),
    "/api/v1/applications": get("Applications with their releases per cluster", json({ type: "array", items: ref("Application") }), noSnapshot),
    "/api/v1/releases": {
      get: {
        summary: "Every release on every cluster",
        parameters: [
          { name: "cluster", in: "query", required: false, schema: { type: "string" } },
          { name: "application", in: "query", required: false, schema: { type: "string" } },
        ],
        responses: { "200": json({ type: "array", items: ref("Release") }), ...noSnapshot },
      },
    },
    "/api/v1/clusters/{cluster}/releases/{release}/history": {
      get: {
        summary: "Every action berth took on a release, oldest first",
        parameters: [
          { name: "cluster", in: "path", required: true, schema: { type: "string" } },
          { name: "release", in: "path", required: true, schema: { type: "string" } },
          { name: "namespace", in: "query", required: false, schema: { type: "string" }, description: "when the name exists in several namespaces" },
        ],
        responses: { "200": json(ref("History")), "404": error("Unknown cluster or release"), ...noSnapshot },
      },
    },
    "/api/v1/plan": get("What the next reconcile would do (the latest dry run)", json(ref("Plan")), noSnapshot),
    "/api/v1/drift": {
      get: {
        summary: "The leader's last drift check: per release, the fields of live objects that differ from what Helm applied",
        parameters: [{ name: "cluster", in: "query", required: false, schema: { type: "string" } }],
        responses: { "200": json(ref("DriftRun")), "404": error("No drift check yet, or this replica does not lead") },
      },
    },
    "/api/v1/runs/latest": get("The last reconcile run: what each release did", json(ref("Run")), { "404": error("No run yet, or this replica does not lead") }),
    "/hooks/git": {
      post: {
        summary: "Push webhook (GitHub, Gitea, GitLab): verified with the shared secret, triggers a fetch of the source",
        parameters: [
          { name: "X-Hub-Signature-256", in: "header", required: false, schema: { type: "string" }, description: "GitHub/Gitea: sha256=<hex HMAC-SHA256 of the body>" },
          { name: "X-Gitea-Signature", in: "header", required: false, schema: { type: "string" }, description: "Gitea: <hex HMAC-SHA256 of the body>" },
          { name: "X-Gitlab-Token", in: "header", required: false, schema: { type: "string" }, description: "GitLab: the secret itself" },
        ],
        requestBody: { required: true, content: { "application/json": { schema: { type: "object" } } } },
        responses: {
          "200": json(ref("WebhookResult"), "A ping: verified, nothing triggered"),
          "202": json(ref("WebhookResult"), "Verified: a fetch is triggered"),
          "401": error("Missing or wrong signature: nothing triggered"),
          "413": error("Body over the size limit"),
        },
      },
    },
  },
  components: { schemas },
} as const;

export function openapiRoute(): Route {
  return { method: "GET", path: "/api/v1/openapi.json", handle: ({ res }) => sendJson(res, 200, OPENAPI) };
}
