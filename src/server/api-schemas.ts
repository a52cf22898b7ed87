// Every shape the HTTP API takes or gives, written once as TypeBox schemas:
// the handlers' types come from them (Static<>), requests are validated with
// them (ajv), and the OpenAPI document is generated from them and the route
// table (openapi.ts). A schema with a `title` is a named component of that
// document. Enums come from the lists the domain keeps beside its types, or
// are held to those types here by the compiler (allOf).
import { Type, type Static, type TSchema, type SchemaOptions } from "@sinclair/typebox";
import { ACTION_KINDS } from "../plan/action.ts";
import { DEPLOY_STATES } from "../plan/deploy-state.ts";
import type { HelmStatus } from "../plan/observed.ts";
import type { ReleaseState } from "../plan/state.ts";
import { ROLES, type Actor as ActorT } from "../reconcile/actor.ts";
import type { DriftPolicy, DriftReport as DriftReportT } from "../reconcile/drift-check.ts";
import type { FieldDrift as FieldDriftT, ObjectDrift as ObjectDriftT } from "../reconcile/drift.ts";
import type { FieldOwner as FieldOwnerT } from "../reconcile/field-owner.ts";
import { RECORD_KINDS, type ActionRecord as ActionRecordT, type AdoptedRecord as AdoptedRecordT, type StepRecord as StepRecordT } from "../reconcile/memo.ts";
import type { ReleaseOutcome } from "../reconcile/release.ts";
import type { ClusterStatus as ClusterStatusT, ReleaseStatus, StatusSnapshot } from "../reconcile/status.ts";
import type { Readiness as ReadinessT } from "./state.ts";
import { allOf } from "../enum.ts";

/** A string enum (`enum: [...]`, not an anyOf of consts) typed as the union of its values. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: SchemaOptions = {}) => Type.Unsafe<T[number]>({ ...options, type: "string", enum: [...values] });

/** An object of any keys whose values are `value` (JSON Schema additionalProperties). */
export const Dict = <V extends TSchema>(value: V, options: SchemaOptions = {}) => Type.Unsafe<Record<string, Static<V>>>({ ...options, type: "object", additionalProperties: value });

const Opt = Type.Optional;
const Str = (description?: string) => Type.String(description ? { description } : {});
const Time = (description?: string) => Type.String({ format: "date-time", ...(description ? { description } : {}) });
const Int = (description?: string) => Type.Integer(description ? { description } : {});

export const HEALTH = allOf<ReleaseStatus["health"]>()(["healthy", "unhealthy", "absent", "unknown"]);
export const STATE_NAMES = allOf<ReleaseState["name"]>()(["Absent", "Unmanaged", "Locked", "Failed", "OutOfSync", "InSync", "Orphaned"]);
export const OUTCOMES = allOf<ReleaseOutcome>()(["unchanged", "applied", "failed", "blocked"]);
export const DRIFT_POLICIES = allOf<DriftPolicy>()(["report", "correct"]);
export const HELM_STATUSES = allOf<HelmStatus>()(["unknown", "deployed", "uninstalled", "superseded", "failed", "uninstalling", "pending-install", "pending-upgrade", "pending-rollback"]);
const RESULTS = ["succeeded", "failed"] as const;

export const ErrorBody = Type.Object({ error: Type.String() }, { title: "Error" });

export const Alive = Type.Object({ alive: Type.Boolean() });

export const Readiness = Type.Object(
  {
    ready: Type.Boolean(),
    firstReconcile: Type.Boolean(),
    sourceReachable: Type.Boolean(),
    leader: Type.Boolean({ description: "false on a replica that only serves the read API" }),
    revision: Opt(Str()),
    lastAppliedRevision: Opt(Str()),
    reasons: Type.Array(Type.String()),
  },
  { title: "Readiness" },
);

export const FieldOwner = Type.Object(
  {
    manager: Str("e.g. kubectl-set, kubectl-edit, helm"),
    operation: Str("Apply (server-side apply) or Update"),
    time: Opt(Time()),
    exact: Type.Boolean({ description: "false: no manager owns the field now (someone removed it); this is the object's most recent update" }),
  },
  { title: "FieldOwner", description: "The field manager that last wrote a field, from the live object's metadata.managedFields" },
);

export const FieldDrift = Type.Object(
  {
    path: Str("e.g. spec.template.spec.containers[0].image"),
    expected: Type.Unknown({ description: "what Helm applied (a Secret's values: [redacted])" }),
    live: Opt(Type.Unknown({ description: "what the live object holds; absent when the field is gone" })),
    by: Opt(FieldOwner),
  },
  { title: "FieldDrift" },
);

export const ObjectDrift = Type.Object(
  { apiVersion: Str(), kind: Str(), namespace: Opt(Str()), name: Str(), missing: Opt(Type.Boolean()), fields: Type.Array(FieldDrift) },
  { title: "ObjectDrift" },
);

export const DriftReport = Type.Object(
  {
    cluster: Str(),
    application: Str(),
    release: Str(),
    namespace: Str(),
    policy: StringEnum(DRIFT_POLICIES),
    revision: Opt(Int("the Helm revision compared against")),
    count: Int("drifted fields found (a missing object counts as one)"),
    corrected: Opt(StringEnum(RESULTS)),
    error: Opt(Str()),
    drifted: Type.Array(ObjectDrift),
  },
  { title: "DriftReport" },
);

export const DriftRun = Type.Object(
  {
    revision: Opt(Str()),
    error: Opt(Str("no valid revision could be loaded: nothing was checked")),
    checkedAt: Time(),
    reports: Type.Array(DriftReport),
  },
  { title: "DriftRun" },
);

export const LastAction = Type.Object(
  { action: StringEnum(RECORD_KINDS), at: Time(), result: StringEnum(RESULTS), fromVersion: Opt(Str()), toVersion: Opt(Str()), commit: Str() },
  { title: "LastAction" },
);

export const Release = Type.Object(
  {
    cluster: Opt(Str("in /api/v1/releases")),
    name: Str(),
    namespace: Str(),
    application: Opt(Str()),
    desiredVersion: Opt(Str()),
    deployedVersion: Opt(Str()),
    helmRevision: Opt(Int()),
    helmStatus: Opt(Str()),
    health: StringEnum(HEALTH),
    healthMessage: Opt(Str()),
    state: StringEnum(DEPLOY_STATES, { description: "at a glance: stopped is suspended in git or scaled to zero" }),
    stateReason: Str("why, in one line"),
    suspended: Type.Boolean({ description: "by berth rollback, until git changes it or berth resume (git's own suspended: true is state stopped)" }),
    lastAction: Opt(LastAction),
    lastError: Opt(Str()),
    blocked: Opt(Str("why the release cannot act now")),
  },
  { title: "Release" },
);

export const ClusterStatus = Type.Object(
  { name: Str(), reachable: Type.Boolean(), since: Opt(Time()), error: Opt(Str()), paused: Type.Boolean(), releases: Type.Array(Release) },
  { title: "ClusterStatus" },
);

export const Status = Type.Object(
  {
    source: Str(),
    revision: Opt(Str("the newest revision of the source")),
    lastAppliedRevision: Opt(Str()),
    sourceStale: Opt(Type.Object({ since: Str(), error: Str() })),
    invalidRevision: Opt(Type.Object({ sha: Str(), errors: Type.Array(Type.String()) })),
    clusters: Type.Array(ClusterStatus),
    blocked: Dict(Type.String(), { description: "`cluster/release` -> reason" }),
    drift: Opt(
      Dict(Type.Array(Type.String()), {
        description:
          "`cluster/release` -> drifted fields left after the leader's last drift check (absent when none), as `Kind/name: path: expected -> live (by <manager> <operation> at <time>)`, or `(last update of the object: <manager> at <time>)` when no manager owns the field now",
      }),
    ),
    observedAt: Time(),
    leader: Type.Boolean(),
  },
  { title: "Status" },
);

export const ClusterSummary = Type.Object(
  { name: Str(), reachable: Type.Boolean(), paused: Type.Boolean(), since: Opt(Str()), error: Opt(Str()), releases: Int(), healthy: Int() },
  { title: "ClusterSummary" },
);

export const Application = Type.Object(
  { name: Str(), clusters: Dict(Type.Object({ releases: Int(), healthy: Int() })) },
  { title: "Application" },
);

export const StepRecord = Type.Object(
  {
    kind: StringEnum(["run", "rollback"]),
    to: Str(),
    job: Str(),
    succeeded: Type.Boolean(),
    logs: Opt(Str("The step Job's logs: only to a request with a token (Authorization: Bearer); never without")),
    message: Str(),
  },
  { title: "StepRecord" },
);

export const Actor = Type.Object(
  { name: Str("the token's name in --auth-file"), role: StringEnum(ROLES) },
  { title: "Actor", description: "Who asked for the action through the API; absent for the reconcile loop's own actions" },
);

export const AdoptedRecord = Type.Object(
  {
    mode: StringEnum(["label", "replace"]),
    revision: Int("the revision berth found"),
    status: Str(),
    chart: Opt(Type.Object({ name: Str(), version: Str() })),
    labelled: Opt(Type.Array(Type.Integer(), { description: "label: the revisions that got berth's labels" })),
    kept: Opt(Str("replace: the Secret holding the old manifest and values")),
    truncated: Opt(Type.Literal(true)),
    uninstalled: Opt(Type.Literal(true)),
  },
  { title: "AdoptedRecord", description: "adopt: what was taken over and how" },
);

export const ActionRecord = Type.Object(
  {
    at: Time(),
    commit: Str(),
    cluster: Str(),
    release: Str(),
    namespace: Str(),
    application: Opt(Str()),
    action: StringEnum(RECORD_KINDS),
    fromVersion: Opt(Str()),
    toVersion: Opt(Str()),
    steps: Type.Array(StepRecord),
    result: StringEnum(RESULTS),
    error: Opt(Str()),
    helmRevision: Opt(Int()),
    durationMs: Int(),
    drifted: Opt(
      Type.Array(Type.String(), {
        description: "correct-drift: the fields restored, as `Kind/name: path (by <manager> <operation> at <time>)` (or `(last update of the object: <manager> at <time>)`), never their values",
      }),
    ),
    restarted: Opt(Type.Array(Type.String(), { description: "restart: the workloads whose pod template it stamped, as `Kind/name` (the failed ones in `error`)" })),
    reason: Opt(Str("Why, when the version alone does not say it (a chart re-pushed under the same version)")),
    chartDigest: Opt(Str("A third-party chart's content digest applied (sha256:...)")),
    adopted: Opt(AdoptedRecord),
    crds: Opt(Type.Object({ created: Type.Array(Type.String()), replaced: Type.Array(Type.String()) })),
    actor: Opt(Actor),
  },
  { title: "ActionRecord" },
);

export const History = Type.Object(
  { cluster: Str(), release: Str(), namespace: Str(), suspended: Type.Boolean(), records: Type.Array(ActionRecord, { description: "oldest first" }) },
  { title: "History" },
);

export const Issue = Type.Object({ file: Str(), line: Int(), col: Int(), path: Str(), message: Str() }, { title: "Issue" });

export const PlannedAction = Type.Object(
  {
    kind: StringEnum(ACTION_KINDS),
    description: Str(),
    from: Opt(Str()),
    to: Opt(Str()),
    toRevision: Opt(Int()),
    steps: Opt(Type.Array(Type.String(), { description: "the versions of the upgrade or rollback steps it runs" })),
    status: Opt(StringEnum(HELM_STATUSES)),
    reason: Opt(Str()),
  },
  { title: "PlannedAction" },
);

export const PlannedRelease = Type.Object(
  { name: Str(), namespace: Str(), application: Opt(Str()), state: StringEnum(STATE_NAMES), reason: Str(), action: PlannedAction, needs: Type.Array(Type.String()) },
  { title: "PlannedRelease" },
);

export const Plan = Type.Object(
  {
    revision: Opt(Str()),
    sourceError: Opt(Str()),
    invalid: Opt(Type.Array(Issue)),
    observedAt: Time(),
    clusters: Type.Array(Type.Object({ cluster: Str(), reachable: Type.Boolean(), error: Opt(Str()), releases: Type.Array(PlannedRelease) })),
  },
  { title: "Plan" },
);

export const RunRelease = Type.Object(
  { name: Str(), namespace: Str(), application: Opt(Str()), outcome: StringEnum(OUTCOMES), reason: Str(), action: StringEnum(ACTION_KINDS), records: Type.Array(ActionRecord) },
  { title: "RunRelease" },
);

export const Run = Type.Object(
  {
    revision: Opt(Str()),
    sourceError: Opt(Str()),
    invalid: Opt(Type.Array(Issue)),
    helmCalls: Int(),
    durationMs: Int(),
    endedAt: Opt(Time()),
    clusters: Type.Array(Type.Object({ cluster: Str(), reachable: Type.Boolean(), error: Opt(Str()), durationMs: Opt(Int()), releases: Type.Array(RunRelease) })),
  },
  { title: "Run" },
);

export const WebhookResult = Type.Object(
  { triggered: Type.Boolean(), provider: StringEnum(["github", "gitea", "gitlab"]), message: Opt(Str()) },
  { title: "WebhookResult" },
);

// Requests.
export const ReleaseParams = Type.Object({ cluster: Str("a Cluster's name"), release: Str("the release, <application>-<component>") });
export const ReleasesQuery = Type.Object({ cluster: Opt(Str("only this cluster's releases")), application: Opt(Str("only this application's releases")) });
export const HistoryQuery = Type.Object({ namespace: Opt(Str("when the name exists in several namespaces")) });
export const DriftQuery = Type.Object({ cluster: Opt(Str("only this cluster's reports")) });
export const WebhookHeaders = Type.Object({
  "x-hub-signature-256": Opt(Str("GitHub/Gitea: sha256=<hex HMAC-SHA256 of the body>")),
  "x-gitea-signature": Opt(Str("Gitea: <hex HMAC-SHA256 of the body>")),
  "x-gitlab-token": Opt(Str("GitLab: the secret itself")),
});

// The domain's own types and these schemas name the same fields: a field added
// to a record or a status row without its schema (or the reverse) fails to
// compile here, naming it. (Their values are held by the handlers' send().)
type SameKeys<Domain, Schema> = [Exclude<keyof Domain, keyof Schema>, Exclude<keyof Schema, keyof Domain>] extends [never, never]
  ? true
  : { notInSchema: Exclude<keyof Domain, keyof Schema>; notInDomain: Exclude<keyof Schema, keyof Domain> };
type Body<S extends TSchema> = Static<S>;
const _sameFields: {
  actionRecord: SameKeys<ActionRecordT, Body<typeof ActionRecord>>;
  stepRecord: SameKeys<StepRecordT, Body<typeof StepRecord>>;
  adopted: SameKeys<AdoptedRecordT, Body<typeof AdoptedRecord>>;
  actor: SameKeys<ActorT, Body<typeof Actor>>;
  release: SameKeys<ReleaseStatus & { cluster?: string; blocked?: string }, Body<typeof Release>>;
  cluster: SameKeys<ClusterStatusT, Body<typeof ClusterStatus>>;
  status: SameKeys<StatusSnapshot & { blocked: unknown; drift?: unknown; observedAt: string; leader: boolean }, Body<typeof Status>>;
  readiness: SameKeys<ReadinessT, Body<typeof Readiness>>;
  driftReport: SameKeys<DriftReportT, Body<typeof DriftReport>>;
  objectDrift: SameKeys<ObjectDriftT, Body<typeof ObjectDrift>>;
  fieldDrift: SameKeys<FieldDriftT, Body<typeof FieldDrift>>;
  fieldOwner: SameKeys<FieldOwnerT, Body<typeof FieldOwner>>;
} = { actionRecord: true, stepRecord: true, adopted: true, actor: true, release: true, cluster: true, status: true, readiness: true, driftReport: true, objectDrift: true, fieldDrift: true, fieldOwner: true };
