// Every shape the HTTP API takes or gives, written once as TypeBox schemas:
// the handlers' types come from them (Static<>), requests are validated with
// them (ajv), and the OpenAPI document is generated from them and the route
// table (openapi.ts). A schema with a `title` is a named component of that
// document. Enums come from the lists the domain keeps beside its types, or
// are held to those types here by the compiler (allOf).
import { Type, type Static, type TSchema, type SchemaOptions } from "@sinclair/typebox";
import { OBJECT_STATES, type LiveObject as LiveObjectT } from "../adapters/kube/release-objects.ts";
import { POD_OWNER_KINDS, type ContainerSummary as ContainerSummaryT, type PodSummary as PodSummaryT } from "../adapters/kube/release-pods.ts";
import type { EventSummary as EventSummaryT } from "../adapters/kube/release-events.ts";
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
import { EVENT_BOUNDS, LOG_BOUNDS, type EventsAnswer, type LogsAnswer, type ObjectsAnswer, type PodsAnswer } from "../reconcile/inspect.ts";
import { WAITING_FOR, WAVE_STATES, type AppRollout as AppRolloutT, type WaveStatus as WaveStatusT } from "../plan/waves.ts";
import type { ClusterStatus as ClusterStatusT, ReleaseStatus, StatusSnapshot } from "../reconcile/status.ts";
import type { ShardView } from "../reconcile/shards.ts";
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
    clusters: Opt(
      Type.Array(Type.Object({ name: Str(), lastAppliedRevision: Opt(Str()), appliedBy: Opt(Str()), shard: Opt(Type.Integer()), acting: Opt(Type.Boolean()) }), {
        description: "per cluster: the revision it stores as last fully applied, by which replica; with shards, its shard and whether this replica acts for it",
      }),
    ),
    shards: Opt(Type.Array(Type.Integer(), { description: "with --shards: the shards this replica acts for" })),
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
  {
    name: Str(),
    reachable: Type.Boolean(),
    since: Opt(Time()),
    error: Opt(Str()),
    paused: Type.Boolean(),
    releases: Type.Array(Release),
    shard: Opt(Int("with serve --shards K: the cluster's shard (spec.shard, else a hash of its name)")),
    lastAppliedRevision: Opt(Str("the revision this cluster was last fully reconciled to, as the cluster stores it (ConfigMap berth-applied)")),
    appliedBy: Opt(Str("the replica that applied it")),
    appliedSince: Opt(Time()),
  },
  { title: "ClusterStatus" },
);

export const WaveStatus = Type.Object(
  {
    index: Int("1-based, as `berth approve --wave N` names it"),
    clusters: Type.Array(Type.String()),
    state: StringEnum(WAVE_STATES),
    waitingFor: Opt(StringEnum(WAITING_FOR)),
    since: Opt(Str("when the wait began (the wave before was healthy), or since when the wave is done")),
    until: Opt(Str("a soak: when it ends")),
    reason: Opt(Str()),
    approval: Opt(Type.Literal("manual")),
    soak: Opt(Str()),
  },
  { title: "WaveStatus" },
);

export const AppRollout = Type.Object(
  { application: Str(), revision: Str("the revision the waves are for"), waves: Type.Array(WaveStatus) },
  { title: "AppRollout", description: "An application's waves at this revision (placement.rollout)" },
);

export const Shards = Type.Object(
  {
    identity: Str("this replica"),
    shards: Int("K of --shards K"),
    share: Int("the most shards one replica holds: ceil(K / live replicas)"),
    live: Type.Array(Type.String(), { description: "replicas whose heartbeat Lease is renewed" }),
    acting: Type.Array(Type.Integer(), { description: "the shards this replica acts for now" }),
    holders: Type.Array(Type.Object({ shard: Type.Integer(), holder: Opt(Str()), renewTime: Opt(Time()) }), { description: "each shard Lease's holder as this replica last read it" }),
    history: Type.Array(Type.Object({ shard: Type.Integer(), from: Time(), to: Opt(Time()), reason: Opt(Str()) }), { description: "when this replica began and stopped acting for each shard, by its clock, newest last" }),
  },
  { title: "Shards", description: "With serve --shards K: which replica holds which shard, and what this one acts for" },
);

export const Status = Type.Object(
  {
    source: Str(),
    revision: Opt(Str("the newest revision of the source")),
    lastAppliedRevision: Opt(Str()),
    sourceStale: Opt(Type.Object({ since: Str(), error: Str() })),
    invalidRevision: Opt(Type.Object({ sha: Str(), errors: Type.Array(Type.String()) })),
    clusters: Type.Array(ClusterStatus),
    rollout: Opt(Type.Array(AppRollout, { description: "applications with waves: what each wave does or waits for" })),
    blocked: Dict(Type.String(), { description: "`cluster/release` -> reason" }),
    drift: Opt(
      Dict(Type.Array(Type.String()), {
        description:
          "`cluster/release` -> drifted fields left after the leader's last drift check (absent when none), as `Kind/name: path: expected -> live (by <manager> <operation> at <time>)`, or `(last update of the object: <manager> at <time>)` when no manager owns the field now",
      }),
    ),
    observedAt: Time(),
    leader: Type.Boolean(),
    shards: Opt(Shards),
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
  {
    triggered: Type.Boolean(),
    provider: StringEnum(["github", "gitea", "gitlab"]),
    message: Opt(Str()),
    ignored: Opt(Type.Boolean({ description: "true: a verified delivery that asks for no fetch (not a push, another ref, no payload)" })),
    reason: Opt(Str("why it was ignored, e.g. `push to refs/heads/dev; berth follows refs/heads/main`")),
    ref: Opt(Str("the pushed ref that triggered the fetch")),
  },
  { title: "WebhookResult" },
);

// A release on its cluster, as a person inspects it (reconcile/inspect.ts).
const releaseAnswer = {
  cluster: Str(),
  release: Str(),
  namespace: Str(),
  revision: Opt(Int("the deployed Helm revision whose manifest was read; absent when nothing is deployed")),
};

export const LiveObject = Type.Object(
  {
    apiVersion: Str(),
    kind: Str(),
    namespace: Opt(Str("absent for a cluster-scoped object")),
    name: Str(),
    state: StringEnum(OBJECT_STATES, {
      description: "ready/progressing/failed where Kubernetes defines readiness; exists for other kinds; missing: not found; unknown: it could not be read (message says why)",
    }),
    message: Opt(Str("what the state rests on: `2/3 available`, `Bound`, `ClusterIP 10.96.0.12`, why it could not be read")),
    createdAt: Opt(Time()),
  },
  { title: "LiveObject", description: "One object of the release's deployed manifest with its live state; never its content (a Secret is read by its metadata only)" },
);

export const ReleaseObjects = Type.Object({ ...releaseAnswer, objects: Type.Array(LiveObject, { description: "in manifest order" }) }, { title: "ReleaseObjects" });

export const ContainerSummary = Type.Object(
  {
    name: Str(),
    image: Str(),
    init: Opt(Type.Literal(true, { description: "an init container" })),
    ready: Type.Boolean(),
    restarts: Int(),
    state: Str("running, waiting (reason), terminated (reason, exit code)"),
    lastTerminated: Opt(Str("how the last run ended (what `previous` logs read)")),
  },
  { title: "Container" },
);

export const PodSummary = Type.Object(
  {
    name: Str(),
    namespace: Str(),
    phase: Str("Pending, Running, Succeeded, Failed, Unknown"),
    status: Str("as kubectl's STATUS column words it: Running, CrashLoopBackOff, Init:0/1, Completed, Terminating"),
    ready: Str("ready containers of all, `1/2`"),
    restarts: Int("of all its containers"),
    node: Opt(Str()),
    images: Type.Array(Type.String()),
    createdAt: Opt(Time("its age")),
    owner: Opt(Type.Object({ kind: Str(), name: Str() }, { description: "its controller (a ReplicaSet, Job, StatefulSet or DaemonSet); absent for a bare Pod" })),
    workload: Type.Object({ kind: StringEnum(POD_OWNER_KINDS), name: Str() }, { description: "the release's object it belongs to" }),
    defaultContainer: Str("the container logs are read from when none is named"),
    containers: Type.Array(ContainerSummary),
  },
  { title: "Pod" },
);

export const ReleasePods = Type.Object({ ...releaseAnswer, pods: Type.Array(PodSummary, { description: "by workload (manifest order), then name" }) }, { title: "ReleasePods" });

export const EventSummary = Type.Object(
  {
    type: Str("Normal or Warning"),
    reason: Str(),
    message: Str(),
    count: Int("how often it happened"),
    firstTime: Opt(Time()),
    lastTime: Opt(Time()),
    object: Type.Object({ kind: Str(), name: Str(), namespace: Opt(Str()) }),
    source: Opt(Str("who reported it: deployment-controller, kubelet")),
  },
  { title: "Event" },
);

export const ReleaseEvents = Type.Object(
  {
    ...releaseAnswer,
    events: Type.Array(EventSummary, { description: "of the release's objects, the ReplicaSets and Jobs between, and its pods; newest first" }),
    truncated: Type.Boolean({ description: "there were more than the limit" }),
  },
  { title: "ReleaseEvents" },
);

export const PodLog = Type.Object(
  {
    ...releaseAnswer,
    pod: Str(),
    container: Str(),
    previous: Type.Boolean({ description: "the container's previous (terminated) run" }),
    text: Str(),
    truncated: Type.Boolean({ description: "the text reached limitBytes: older lines may be missing" }),
  },
  { title: "PodLog" },
);

export const ActionResult = Type.Object(
  { message: Str("what was done, in a sentence"), record: ActionRecord },
  { title: "ActionResult", description: "An action done: the record it wrote in the release's history" },
);

export const ActionFailed = Type.Object(
  { error: Str(), record: Opt(ActionRecord) },
  { title: "ActionFailed", description: "An action refused or failed; `record` when it was recorded (a failed restart)" },
);

export const SyncAccepted = Type.Object(
  {
    message: Str(),
    record: ActionRecord,
    running: Opt(Type.Object({ what: Str(), since: Time() }, { description: "what runs now: the pass starts when it ends" })),
  },
  { title: "SyncAccepted", description: "A reconcile pass is asked for: it reconciles every release of the newest revision, this one among them" },
);

// Requests.
export const ReleaseParams = Type.Object({ cluster: Str("a Cluster's name"), release: Str("the release, <application>-<component>") });
export const ReleasesQuery = Type.Object({ cluster: Opt(Str("only this cluster's releases")), application: Opt(Str("only this application's releases")) });
export const HistoryQuery = Type.Object({ namespace: Opt(Str("when the name exists in several namespaces")) });
export const ReleaseQuery = Type.Object({ namespace: Opt(Str("when the name exists in several namespaces")) });
export const EventsQuery = Type.Object({
  namespace: Opt(Str("when the name exists in several namespaces")),
  limit: Opt(Type.Integer({ minimum: 1, maximum: EVENT_BOUNDS.maxLimit, description: `a whole number of events from 1 to ${EVENT_BOUNDS.maxLimit}, newest first (default ${EVENT_BOUNDS.limit})` })),
});
export const LogsQuery = Type.Object({
  namespace: Opt(Str("when the name exists in several namespaces")),
  pod: Str("one of the release's pods (see pods)"),
  container: Opt(Str("default: the pod's default container")),
  tail: Opt(Type.Integer({ minimum: 1, maximum: LOG_BOUNDS.maxTail, description: `a whole number of lines from the end, 1 to ${LOG_BOUNDS.maxTail} (default ${LOG_BOUNDS.tail})` })),
  previous: Opt(Type.Boolean({ description: "true for the container's previous (terminated) run" })),
  follow: Opt(
    Type.Boolean({
      description: `true to answer a text/event-stream: the tail, then new lines as they come, for at most ${LOG_BOUNDS.followMs / 60_000} minutes or ${LOG_BOUNDS.followBytes / (1024 * 1024)} MiB; an \`open\` event (JSON: pod, container), one message per line of the log (its data the line), then an \`end\` event, or \`error\` with the cluster's words`,
    }),
  ),
  limitBytes: Opt(Type.Integer({ minimum: 1, maximum: LOG_BOUNDS.followBytes, description: `a whole number of bytes from 1 to ${LOG_BOUNDS.followBytes}, at most ${LOG_BOUNDS.maxBytes} without follow (default ${LOG_BOUNDS.bytes}; following, ${LOG_BOUNDS.followBytes})` })),
  sinceSeconds: Opt(Type.Integer({ minimum: 1, maximum: 366 * 86_400, description: "a whole number of seconds: only lines newer than that" })),
});
export const RestartBody = Type.Object(
  { workload: Opt(Str("one workload, as `Kind/name` or its name; absent: every Deployment, StatefulSet and DaemonSet of the release")) },
  { additionalProperties: false },
);
export const RollbackBody = Type.Object({ toRevision: Type.Integer({ minimum: 1, description: "the Helm revision to roll back to, a whole number (see history's helmRevision)" }) }, { additionalProperties: false });
export const DriftQuery = Type.Object({ cluster: Opt(Str("only this cluster's reports")) });
export const WebhookHeaders = Type.Object({
  "x-hub-signature-256": Opt(Str("GitHub/Gitea: sha256=<hex HMAC-SHA256 of the body>")),
  "x-gitea-signature": Opt(Str("Gitea: <hex HMAC-SHA256 of the body>")),
  "x-gitlab-token": Opt(Str("GitLab: the secret itself")),
  "x-github-event": Opt(Str("GitHub: the event; berth acts on push")),
  "x-gitea-event": Opt(Str("Gitea: the event; berth acts on push")),
  "x-gitlab-event": Opt(Str("GitLab: the event; berth acts on Push Hook and Tag Push Hook")),
  "x-github-delivery": Opt(Str("GitHub: the delivery id, logged")),
  "x-gitea-delivery": Opt(Str("Gitea: the delivery id, logged")),
  "x-gitlab-event-uuid": Opt(Str("GitLab: the delivery id, logged")),
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
  wave: SameKeys<WaveStatusT, Body<typeof WaveStatus>>;
  appRollout: SameKeys<AppRolloutT, Body<typeof AppRollout>>;
  status: SameKeys<StatusSnapshot & { blocked: unknown; drift?: unknown; observedAt: string; leader: boolean; shards?: ShardView }, Body<typeof Status>>;
  shards: SameKeys<ShardView, Body<typeof Shards>>;
  readiness: SameKeys<ReadinessT, Body<typeof Readiness>>;
  driftReport: SameKeys<DriftReportT, Body<typeof DriftReport>>;
  objectDrift: SameKeys<ObjectDriftT, Body<typeof ObjectDrift>>;
  fieldDrift: SameKeys<FieldDriftT, Body<typeof FieldDrift>>;
  fieldOwner: SameKeys<FieldOwnerT, Body<typeof FieldOwner>>;
  liveObject: SameKeys<LiveObjectT, Body<typeof LiveObject>>;
  objects: SameKeys<ObjectsAnswer, Body<typeof ReleaseObjects>>;
  pod: SameKeys<PodSummaryT, Body<typeof PodSummary>>;
  container: SameKeys<ContainerSummaryT, Body<typeof ContainerSummary>>;
  pods: SameKeys<PodsAnswer, Body<typeof ReleasePods>>;
  event: SameKeys<EventSummaryT, Body<typeof EventSummary>>;
  events: SameKeys<EventsAnswer, Body<typeof ReleaseEvents>>;
  log: SameKeys<LogsAnswer, Body<typeof PodLog>>;
} = {
  actionRecord: true,
  stepRecord: true,
  adopted: true,
  actor: true,
  release: true,
  cluster: true,
  wave: true,
  appRollout: true,
  status: true,
  shards: true,
  readiness: true,
  driftReport: true,
  objectDrift: true,
  fieldDrift: true,
  fieldOwner: true,
  liveObject: true,
  objects: true,
  pod: true,
  container: true,
  pods: true,
  event: true,
  events: true,
  log: true,
};
