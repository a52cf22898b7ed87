// The values layout every generated chart reads (berth's own contract, so it
// lives in code, not in a definition):
//
//   application: <application name>
//   cluster:     { name, labels }                 the target cluster
//   component:   { name, version, entry }         Component name, version picked, entry name
//   image:       { repository, tag, pullPolicy? } tag defaults to the Component version
//   command, args: string[]                      the main container's
//   env:         { NAME: value }                  plain env of the main container
//   ports:       [{ name, port, protocol? }]
//   resources:   { requests?, limits? }          cpu, memory, ephemeral-storage, ...
//   podSecurityContext:     the pod's securityContext (default: Pod Security "restricted")
//   defaultSecurityContext: what every container's securityContext starts from (main,
//                           sidecars, init); each key of a container's own replaces its default
//   securityContext:        the main container's own (a Component's container.securityContext)
//   tmpDir:      { enabled, mountPath, sizeLimit? }  a writable emptyDir in every container
//                                                (the root file system is read-only)
//   probes:      { liveness?, readiness?, startup? }   Kubernetes Probe objects
//   replicas:    integer                         ignored while traits.autoscaler.enabled
//   config:      { data, mountPath }             the app's settings, a ConfigMap mounted at mountPath
//   traits:      { <name>: { enabled, ...props } }     array-valued traits: { enabled, items: [...] }
//   ...          workload-specific keys from the WorkloadDefinition (defaults / schema)
//
// Precedence (lowest first): these base defaults < WorkloadDefinition defaults
// < Component < Application entry < Overlays; see resolve.ts.
import { overlaySecurityContext, restrictedContainerSecurityContext, restrictedPodSecurityContext, TMP_MOUNT_PATH } from "../model/pod-security.ts";
import type { JsonObject, JsonSchema, ReleaseSpec, TraitDefinition } from "../model/types.ts";
import { isPlainObject } from "./merge.ts";

export function baseValues(): JsonObject {
  return {
    application: "",
    cluster: { name: "", labels: {} },
    component: { name: "", version: "", entry: "" },
    image: { repository: "", tag: "" },
    command: [],
    args: [],
    env: {},
    ports: [],
    resources: {},
    podSecurityContext: restrictedPodSecurityContext(),
    defaultSecurityContext: restrictedContainerSecurityContext(),
    securityContext: {},
    tmpDir: { enabled: true, mountPath: TMP_MOUNT_PATH },
    probes: {},
    replicas: 1,
    config: { data: {}, mountPath: "" },
  };
}

const stringMap = { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } };
const stringList = { type: "array", items: { type: "string" } };
const quantities = { type: "object", additionalProperties: { type: ["string", "number"] } };
const resourcesSchema = { type: "object", properties: { requests: quantities, limits: quantities } };

export function baseSchemaProperties(): Record<string, JsonSchema> {
  return {
    application: { type: "string" },
    cluster: {
      type: "object",
      properties: { name: { type: "string" }, labels: { type: "object", additionalProperties: { type: "string" } } },
    },
    component: {
      type: "object",
      properties: { name: { type: "string" }, version: { type: "string" }, entry: { type: "string" } },
    },
    image: {
      type: "object",
      required: ["repository", "tag"],
      properties: {
        repository: { type: "string" },
        tag: { type: ["string", "number"] },
        pullPolicy: { type: "string", enum: ["Always", "IfNotPresent", "Never"] },
      },
    },
    command: stringList,
    args: stringList,
    env: stringMap,
    ports: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "port"],
        properties: {
          name: { type: "string" },
          port: { type: "integer", minimum: 1, maximum: 65535 },
          protocol: { type: "string", enum: ["TCP", "UDP", "SCTP"] },
        },
      },
    },
    resources: resourcesSchema,
    podSecurityContext: { type: "object" },
    defaultSecurityContext: { type: "object" },
    securityContext: { type: "object" },
    tmpDir: {
      type: "object",
      properties: {
        enabled: { type: "boolean" },
        mountPath: { type: "string", pattern: "^/" },
        sizeLimit: { type: ["string", "number"] },
        medium: { type: "string", enum: ["", "Memory"] },
      },
    },
    probes: {
      type: "object",
      additionalProperties: false,
      properties: { liveness: { type: "object" }, readiness: { type: "object" }, startup: { type: "object" } },
    },
    replicas: { type: "integer", minimum: 0 },
    config: {
      type: "object",
      properties: { data: { type: "object" }, mountPath: { type: "string" } },
    },
  };
}

/** Whether a trait's user-facing value is a list (stored under `items`). */
export function isListTrait(t: TraitDefinition): boolean {
  return t.spec.schema.type === "array";
}

/** The values schema of `traits.<name>`: `enabled` plus the trait's properties. */
export function traitValuesSchema(t: TraitDefinition): JsonSchema {
  if (isListTrait(t)) {
    return {
      type: "object",
      required: ["enabled"],
      properties: { enabled: { type: "boolean" }, items: t.spec.schema },
    };
  }
  const s = t.spec.schema;
  const props = (s.properties as Record<string, JsonSchema> | undefined) ?? {};
  const out: JsonSchema = {
    type: "object",
    required: ["enabled"],
    properties: { enabled: { type: "boolean" }, ...props },
  };
  if (s.additionalProperties === false) out.additionalProperties = false;
  // the trait's own required properties only bind when it is switched on
  if (Array.isArray(s.required) && s.required.length > 0) {
    out.if = { properties: { enabled: { const: true } } };
    out.then = { required: s.required };
  }
  return out;
}

/**
 * The pod and container securityContext an upgrade step of a generated
 * release starts from: its release's, as the chart renders the main
 * container (a Component that must run as root says so once, for its steps
 * too). A third-party chart's values are its own: its steps get none.
 */
export function releaseStepSecurity(r: Pick<ReleaseSpec, "values" | "chart" | "workloadKind">): { pod: JsonObject; container: JsonObject } | undefined {
  if (r.chart.source || r.workloadKind === "External" || r.workloadKind === "Chart") return undefined;
  const obj = (v: unknown): JsonObject | undefined => (isPlainObject(v) ? v : undefined);
  return {
    pod: obj(r.values.podSecurityContext) ?? {},
    container: overlaySecurityContext(obj(r.values.defaultSecurityContext), obj(r.values.securityContext)),
  };
}
