// The typed shape of a definitions repository, as DESIGN.md states it.
// Loader (model/load.ts) produces these; render/ and plan/ consume them.

export const API_VERSION = "berth.dev/v1alpha1";

export const KINDS = [
  "Component",
  "Application",
  "Overlay",
  "Cluster",
  "WorkloadDefinition",
  "TraitDefinition",
  "Project",
  "ChartRepository",
  "Notification",
] as const;
export type Kind = (typeof KINDS)[number];

/** Where a document came from, so later rules can still name file and line. */
export interface Origin {
  file: string; // relative to the repository root, forward slashes
  /** Position of a field path inside the document (falls back to the nearest parent). */
  pos(path: ReadonlyArray<string | number>): { line: number; col: number };
}

export interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Doc<K extends Kind, S> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: Metadata;
  spec: S;
  origin: Origin;
}

export type JsonObject = { [k: string]: unknown };
export type JsonSchema = JsonObject;
/** A Kubernetes probe, as in core/v1 Probe (httpGet, tcpSocket, exec, grpc + timings). */
export type Probe = JsonObject;

export interface Port {
  name: string;
  port: number;
  protocol?: "TCP" | "UDP" | "SCTP";
}

export interface ContainerSpec {
  image: string; // without tag: the tag defaults to spec.version
  tag?: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  ports?: Port[];
  imagePullPolicy?: ImagePullPolicy;
  /** cpu, memory, ephemeral-storage, ... */
  resources?: Resources;
  /** The main container's securityContext: each key replaces the secure default's (values.defaultSecurityContext). */
  securityContext?: SecurityContext;
  health?: { liveness?: Probe; readiness?: Probe; startup?: Probe };
}

export type ImagePullPolicy = "Always" | "IfNotPresent" | "Never";
export interface Resources {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}
/** A Kubernetes container SecurityContext (core/v1). */
export type SecurityContext = JsonObject;

/** A step run as a Kubernetes Job before an upgrade (run) or during a rollback. */
export interface StepSpec {
  image: string; // may carry a tag; otherwise the Component's version
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  timeoutSeconds?: number;
  imagePullPolicy?: ImagePullPolicy;
  /** Default: small requests and limits (model/pod-security.ts stepResources). */
  resources?: Resources;
  /** Each key replaces the one the step starts from: its release's main container's, or the restricted default. */
  securityContext?: SecurityContext;
}

export interface UpgradeStep {
  from: string; // semver range of versions this step upgrades from
  to: string; // exact semver version this step upgrades to
  run: StepSpec;
  rollback?: StepSpec;
}

/** A generated Component: one version of a service, rendered by a WorkloadDefinition. */
export interface ComponentSpec {
  version: string;
  workload: string;
  container: ContainerSpec;
  config?: { schema: JsonSchema; mountPath?: string };
  requires?: Record<string, string>; // component name -> semver range
  upgrades?: UpgradeStep[];
}

/** Trait properties, or `false` to switch a trait off. */
export type TraitValues = Record<string, unknown | false>;

export interface AppComponentEntry {
  name: string;
  component: string;
  version: string; // semver range
  dependsOn?: string[];
  replicas?: number;
  traits?: TraitValues;
  config?: JsonObject;
  values?: JsonObject;
  /** Take over an existing Helm release of this name that berth does not own (chart components, or any). */
  adopt?: true | "replace";
  /** What upgrades do with the chart's `crds/` (default create). */
  crds?: CrdPolicy;
  /** Leave the release as it is (reported as stopped). */
  suspended?: boolean;
}

export type CrdPolicy = "skip" | "create" | "createReplace";

export interface Placement {
  clusterSelector?: Record<string, string>;
  clusters?: string[];
  rollout?: Rollout;
}

/** One wave of a rollout: named clusters and/or a selector, each optional. */
export interface RolloutWave {
  clusters?: string[];
  clusterSelector?: Record<string, string>;
  /** Wait this long after the wave before is healthy (a duration: 10m, 1h30m). */
  soak?: string;
  approval?: "manual";
}

export interface Rollout {
  /** Short form of a first wave. */
  canary?: string[];
  waves?: RolloutWave[];
  wait?: "healthy" | "none";
}

export interface ApplicationSpec {
  /** The Project whose limits apply (required when berth runs with --require-project). */
  project?: string;
  namespace: string;
  components: AppComponentEntry[];
  placement?: Placement;
  /** Uninstall releases berth owns that git no longer declares (opt-in). */
  prune?: boolean;
  drift?: "report" | "correct";
  /** Leave every release of the Application as it is (reported as stopped). */
  suspended?: boolean;
}

export interface External {
  host: string;
  port: number;
}

export interface OverlayComponentPatch {
  version?: string; // narrows the Application's range
  replicas?: number;
  traits?: TraitValues;
  config?: JsonObject;
  values?: JsonObject;
  external?: External;
}

export interface OverlaySpec {
  application: string;
  clusterSelector?: Record<string, string>;
  clusters?: string[];
  components: Record<string, OverlayComponentPatch>;
}

export interface ClusterSpec {
  kubeconfig?: { path?: string; context?: string; inCluster?: boolean };
  paused?: boolean;
  /** With prune, allow a revision that places no release at all on this cluster to remove everything. */
  allowEmpty?: boolean;
  helm?: { maxHistory?: number };
  /** `berth serve --shards K`: the shard this cluster is in (0..K-1), instead of a hash of its name. */
  shard?: number;
}

/** What a team's Applications may touch (DESIGN.md "Project"). */
export interface ProjectSpec {
  /** Clusters its Applications may be placed on; default: all. */
  clusters?: { names?: string[]; selector?: Record<string, string> };
  /** Namespace globs (`shop`, `shop-*`) its Applications may deploy into. */
  namespaces: string[];
  /** Cluster-scoped kinds its charts may create (e.g. ClusterRole); default none. */
  clusterScoped?: string[];
  /** ChartRepositories its chart Components may use; default: all. */
  repositories?: string[];
  /** The ServiceAccount berth impersonates on each cluster for this Project's helm and kube calls. */
  impersonate?: { serviceAccount: string; namespace: string };
}

/** A Helm chart repository: HTTP (index.yaml) or an OCI registry (`oci://`). */
export interface ChartRepositorySpec {
  url: string;
  /** Basic auth, read from files on the berth host (inside the operator's --repository-credentials-dir), never from git. */
  auth?: { usernameFile: string; passwordFile: string };
  /** CA bundle (PEM) for the repository's TLS, a file on the berth host like `auth`. */
  caFile?: string;
  /** OCI over plain HTTP (a loopback or lab registry); never for https:// repositories. */
  insecure?: boolean;
  /** How often the index is re-read (`10m`, `1h`; default 10m). */
  interval?: string;
}

/** What a Notification is told of (DESIGN.md "Rollout, approvals and notifications"). */
export const NOTIFICATION_EVENTS = ["failed", "blocked", "waiting-approval", "succeeded", "drift"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Where a Notification's events go; secrets are files on the berth host (--notification-credentials-dir), never values in git. */
export type NotificationSink =
  | { webhook: { url: string; secretFile: string } }
  | { slack: { urlFile: string } }
  | { commitStatus: { provider: "gitea" | "github" | "gitlab"; url: string; tokenFile: string; repository?: string } };

/** Who hears of what: events of some applications on some clusters, to some sinks (src/notify/). */
export interface NotificationSpec {
  /** Default: every application. */
  applications?: string[];
  /** Default: every cluster. */
  clusters?: string[];
  /** Default: failed, blocked, waiting-approval, succeeded (drift only when named). */
  on?: NotificationEvent[];
  sinks: NotificationSink[];
}

/** A third-party chart as a Component: from a ChartRepository, or a chart directory / .tgz in this git repository. */
export interface ChartComponentSpec {
  chart: {
    repository?: string;
    name?: string;
    /** A chart directory or a packaged .tgz, relative to the repository root. */
    path?: string;
    /** The chart versions this Component offers (default: every version the source has). */
    versions?: string;
  };
  /** Defaults for every release of it (lowest precedence). */
  values?: JsonObject;
  requires?: Record<string, string>;
  upgrades?: UpgradeStep[];
}

/** A picked chart version as the loader read it (Repo.chartPins). */
export type ChartPin =
  | {
      digest: string;
      /** The chart's name in its Chart.yaml (a chart from a path is named by it). */
      chart?: string;
      values: JsonObject;
      schema?: JsonSchema;
      /** A chart from git: its files (or its .tgz bytes), which the reconciler writes out for helm. */
      files?: Map<string, Buffer>;
      archive?: Buffer;
    }
  | { unavailable: string };

/** The key of a chart version in Repo.chartPins. */
export const chartPinKey = (source: { repository: string } | { path: string }, chart: string, version: string): string =>
  "path" in source ? `path\u0000${source.path}` : `${source.repository}\u0000${chart}\u0000${version}`;

/** One chart version a source offers. */
export interface ChartVersion {
  version: string;
  /** `sha256:<hex>` when known before pulling (a Helm index's digest, a git chart's content). */
  digest?: string;
  /** Where it is pulled from: an absolute https URL of the .tgz, or `oci://host/path/name` (tag = version). Absent for git charts. */
  url?: string;
}

export interface WorkloadDefinitionSpec {
  version: string; // becomes the chart version
  description?: string;
  /** Kubernetes kind of the main object: how health is read. */
  workloadKind: "Deployment" | "StatefulSet" | "Job";
  /** Whether liveness, readiness and startup probes are required. */
  healthRequired?: boolean;
  /** Default values (lowest precedence). */
  defaults?: JsonObject;
  /** JSON Schema (type: object) of workload-specific values beside berth's layout; joins values.schema.json. */
  schema?: JsonSchema;
  /** Template files, relative to the definition's file; never outside the repository. */
  templates: string[];
}

export interface TraitDefinitionSpec {
  version: string;
  description?: string;
  /** Workload names this trait applies to; `["*"]` for all. */
  appliesTo: string[];
  /** JSON Schema of the trait's properties. */
  schema: JsonSchema;
  /** On, with its schema's defaults, where no layer names the trait and any condition holds (`false` still switches it off). */
  defaultOn?: { replicasAtLeast?: number; withTraits?: string[] };
  /** Template files (standalone objects and fragments), relative to the definition's file. */
  templates: string[];
}

export type Component = Doc<"Component", ComponentSpec>;
export type Application = Doc<"Application", ApplicationSpec>;
export type Overlay = Doc<"Overlay", OverlaySpec>;
export type Cluster = Doc<"Cluster", ClusterSpec>;
export type Project = Doc<"Project", ProjectSpec>;
export type ChartRepository = Doc<"ChartRepository", ChartRepositorySpec>;
export type Notification = Doc<"Notification", NotificationSpec>;
/**
 * A chart Component. `offered` is filled by the loader (an I/O step before
 * the pure rules): the versions its source offers inside `chart.versions`,
 * or why the source could not be read, which blocks only its releases.
 */
export type ChartComponent = Doc<"Component", ChartComponentSpec> & {
  offered?: { versions: ChartVersion[] } | { unavailable: string };
};
export type WorkloadDefinition = Doc<"WorkloadDefinition", WorkloadDefinitionSpec> & {
  builtin: boolean;
  /** Template file contents by relative path, read by the loader (render stays pure). */
  files: Record<string, string>;
};
export type TraitDefinition = Doc<"TraitDefinition", TraitDefinitionSpec> & {
  builtin: boolean;
  files: Record<string, string>;
};

/** A whole definitions repository, loaded and validated. */
export interface Repo {
  root: string;
  components: Component[]; // every version of every generated component
  /** Chart Components (one document each; their versions come from the chart source). */
  charts: ChartComponent[];
  chartRepositories: ChartRepository[];
  /** Notifications (absent in repositories built before the kind existed: none). */
  notifications?: Notification[];
  /**
   * What the loader learnt of each picked chart version (chartPinKey): its
   * content digest, default values and schema, or why it could not be read.
   * Absent without chart sources; resolve stays pure by reading it.
   */
  chartPins?: Map<string, ChartPin>;
  applications: Application[];
  overlays: Overlay[];
  clusters: Cluster[];
  workloads: WorkloadDefinition[]; // built-ins merged with the repo's own
  traits: TraitDefinition[];
  projects: Project[];
}

/**
 * What one (cluster, application, component entry) resolves to: the unit the
 * reconciler installs, upgrades and rolls back.
 */
export interface ReleaseSpec {
  name: string; // `<application>-<entry name>`
  cluster: string;
  application: string;
  entry: string; // the component entry's name in the Application
  namespace: string;
  chart: ChartIdentity; // the workload's generated chart, or a third-party chart
  component: { name: string; version: string }; // the Component version picked
  values: JsonObject; // merged values, precedence applied
  /** Release names (same cluster, same application) that must be healthy first. */
  dependsOn: string[];
  /** Components (any application on the same cluster) that must run a matching version. */
  requires: { component: string; range: string }[];
  /** Every upgrade step declared by versions of this component up to the picked one, sorted by `to`. */
  upgrades: UpgradeStep[];
  /**
   * The limits of the release's Project, checked on the rendered manifest
   * before helm runs, and the identity helm and kube calls impersonate.
   * Not part of what the release is: the digest does not see it.
   */
  project?: ReleaseProject;
  /** How health is read for the main object ("Chart": every workload of the manifest). */
  workloadKind: WorkloadDefinitionSpec["workloadKind"] | "External" | "Chart";
  /** Take over an unowned release of this name (the entry's `adopt`). */
  adopt?: true | "replace";
  /** What upgrades do with a third-party chart's `crds/` (default create). */
  crds?: CrdPolicy;
  /**
   * `suspended: true` in git on the entry or its Application, as `file:line:col field`:
   * berth leaves the release as it is. Not part of the digest (lifting it changes nothing).
   */
  suspended?: string;
  /** The chart source could not be read: the release is blocked with this reason and the deployed one stays. */
  unavailable?: string;
  external?: External;
  /**
   * Where each `requires` entry (by component) and upgrade step (by `stepKey`)
   * is declared, as `file:line:col field`, so a blocked release says what to
   * edit. Not part of what the release is: no digest, metadata file or diff sees it.
   */
  declared?: { requires: Record<string, string>; upgrades: Record<string, string> };
}

/** Which chart a release runs. Generated charts have only name and version. */
export interface ChartIdentity {
  name: string;
  version: string;
  /** Where a third-party chart comes from: a ChartRepository (and the URL pulled), or a path in the definitions repo. */
  source?: { repository: string; url: string } | { path: string };
  /** `sha256:<hex>`: the .tgz (HTTP repository, git .tgz), the OCI manifest, or a git chart directory's files. Enters the release digest. */
  digest?: string;
}

/** A Project as a release carries it at runtime. */
export interface ReleaseProject {
  name: string;
  namespaces: string[];
  clusterScoped: string[];
  /** Kubernetes user to act as: `system:serviceaccount:<namespace>:<name>`, with its groups. */
  impersonate?: { user: string; groups: string[] };
}

/** The key of an upgrade step in `ReleaseSpec.declared.upgrades`. */
export const stepKey = (s: { from: string; to: string }): string => `${s.from}\u0000${s.to}`;

/** A rendered chart: its files by path relative to the chart directory. */
export interface RenderedChart {
  name: string;
  version: string;
  files: Record<string, string>;
}
