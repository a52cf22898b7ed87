// Drift, pure: the objects Helm applied (the release's manifest) against the
// live objects. Only the fields the manifest sets are compared, so defaults
// the API server fills in, status, and controllers' metadata are never drift.
// Fields an autoscaler owns (replicas) are skipped.
import { parseAllDocuments } from "yaml";
import { isClusterScopedKind } from "../model/cluster-scoped.ts";
import { fieldOwner, type FieldOwner, type PathStep } from "./field-owner.ts";

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface FieldDrift {
  /** JSON path inside the object, e.g. `spec.template.spec.containers[0].image`. */
  path: string;
  /** What the manifest set. `undefined` never occurs here. */
  expected: unknown;
  /** What the live object holds; undefined when the field is gone. */
  live: unknown;
  /** The field manager that last wrote the field (from the live object's managedFields, when it has them). */
  by?: FieldOwner;
}

export interface ObjectDrift {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The object no longer exists. */
  missing?: boolean;
  fields: FieldDrift[];
}

export interface DetectInput {
  objects: ManifestObject[];
  /** Live objects by objectKey(); absent = not found. */
  live: ReadonlyMap<string, unknown>;
  /** The release's values switch the autoscaler trait on (`traits.autoscaler.enabled: true`). */
  autoscalerOn: boolean;
}

// Metadata set by the API server, controllers and helm itself; never compared.
const IGNORED_METADATA = new Set(["resourceVersion", "uid", "generation", "managedFields", "creationTimestamp", "selfLink", "ownerReferences", "finalizers", "namespace", "name"]);
const IGNORED_ANNOTATIONS = [/^deployment\.kubernetes\.io\//, /^kubectl\.kubernetes\.io\/last-applied-configuration$/, /^meta\.helm\.sh\//, /^autoscaling\.alpha\.kubernetes\.io\//];
// Helm sets this label on every object it applies, over whatever the chart says.
const HELM_LABELS = new Set(["app.kubernetes.io/managed-by"]);
const SCALABLE = new Set(["Deployment", "StatefulSet", "ReplicaSet"]);

export const objectKey = (o: { apiVersion: string; kind: string; namespace?: string; name: string }) =>
  `${o.apiVersion}/${o.kind}/${o.namespace ?? ""}/${o.name}`;

/** Helm's stored manifest (multi-document YAML) -> objects, with the release namespace where a namespaced object names none. */
export function parseManifest(manifest: string, releaseNamespace: string, clusterScoped: (kind: string) => boolean = isClusterScoped): ManifestObject[] {
  const out: ManifestObject[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    const o = doc.toJS() as ManifestObject | null;
    if (!o || typeof o !== "object" || !o.kind || !o.metadata?.name) continue;
    if (o.kind.endsWith("List") && Array.isArray(o.items)) {
      out.push(...(o.items as ManifestObject[]).map((i) => withNamespace(i, releaseNamespace, clusterScoped)));
    } else out.push(withNamespace(o, releaseNamespace, clusterScoped));
  }
  return out;
}

function withNamespace(o: ManifestObject, ns: string, clusterScoped: (kind: string) => boolean): ManifestObject {
  if (clusterScoped(o.kind) || o.metadata.namespace) return o;
  return { ...o, metadata: { ...o.metadata, namespace: ns } };
}

export const isClusterScoped = isClusterScopedKind;

/** `Kind/name` of every workload whose replicas an autoscaler owns. */
export function autoscaledTargets(objects: ManifestObject[], autoscalerOn: boolean): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (autoscalerOn && SCALABLE.has(o.kind)) out.add(`${o.kind}/${o.metadata.name}`);
    if (o.kind === "HorizontalPodAutoscaler") {
      const ref = (o.spec as { scaleTargetRef?: { kind?: string; name?: string } } | undefined)?.scaleTargetRef;
      if (ref?.kind && ref.name) out.add(`${ref.kind}/${ref.name}`);
    }
  }
  return out;
}

/** Whether values switch the autoscaler trait on. */
export function autoscalerOn(values: unknown): boolean {
  const a = (values as { traits?: { autoscaler?: { enabled?: unknown } } } | undefined)?.traits?.autoscaler;
  return a?.enabled === true;
}

export function detectDrift(input: DetectInput): ObjectDrift[] {
  const scaled = autoscaledTargets(input.objects, input.autoscalerOn);
  const out: ObjectDrift[] = [];
  for (const o of input.objects) {
    const id = { apiVersion: o.apiVersion, kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name };
    const live = input.live.get(objectKey(id));
    if (live === undefined || live === null) {
      out.push({ ...id, missing: true, fields: [] });
      continue;
    }
    const skip = scaled.has(`${o.kind}/${o.metadata.name}`) ? new Set(["spec.replicas"]) : new Set<string>();
    const fields = diffObject(o, live, skip);
    if (fields.length) out.push({ ...id, fields: o.kind === "Secret" ? fields.map(redact) : fields });
  }
  return out;
}

/**
 * Fields set in `desired` whose live value differs; `skip` lists paths not to compare.
 * When the live object has managedFields, each field says who last wrote it (`by`).
 */
export function diffObject(desired: ManifestObject, live: unknown, skip: ReadonlySet<string> = new Set()): FieldDrift[] {
  const found: Found[] = [];
  const liveObj = (live ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(desired)) {
    if (k === "apiVersion" || k === "kind" || k === "status") continue;
    if (k === "metadata") {
      diffMetadata(v as Record<string, unknown>, (liveObj.metadata ?? {}) as Record<string, unknown>, found);
      continue;
    }
    if (desired.kind === "Secret" && k === "stringData") {
      // The API server folds stringData into data (base64).
      const data = (liveObj.data ?? {}) as Record<string, unknown>;
      for (const [sk, sv] of Object.entries((v ?? {}) as Record<string, unknown>)) {
        const enc = Buffer.from(String(sv)).toString("base64");
        if (data[sk] !== enc) found.push({ path: `data.${sk}`, steps: ["data", sk], expected: enc, live: data[sk] });
      }
      continue;
    }
    walk(v, liveObj[k], { path: k, steps: [k] }, skip, found);
  }
  const managed = ((liveObj.metadata ?? {}) as { managedFields?: unknown }).managedFields;
  return found.map(({ steps, ...f }) => {
    const by = Array.isArray(managed) ? fieldOwner(managed, steps) : undefined;
    return by ? { ...f, by } : f;
  });
}

/** A drifted field with the structured path to it in the live object (fields, and list items as found there). */
type Found = FieldDrift & { steps: PathStep[] };
interface At {
  /** As shown: desired list indexes, e.g. `spec.template.spec.containers[0].image`. */
  path: string;
  steps: PathStep[];
}

const field = (at: At, k: string): At => ({ path: `${at.path}${seg(k)}`, steps: [...at.steps, k] });
const item = (at: At, desiredIndex: number, live: unknown, liveIndex: number): At => ({ path: `${at.path}[${desiredIndex}]`, steps: [...at.steps, { item: live, index: liveIndex }] });

function diffMetadata(desired: Record<string, unknown>, live: Record<string, unknown>, out: Found[]): void {
  const metadata: At = { path: "metadata", steps: ["metadata"] };
  for (const [k, v] of Object.entries(desired)) {
    if (IGNORED_METADATA.has(k)) continue;
    if (k === "annotations" && v && typeof v === "object") {
      const liveAnn = (live.annotations ?? {}) as Record<string, unknown>;
      for (const [ak, av] of Object.entries(v)) {
        if (IGNORED_ANNOTATIONS.some((r) => r.test(ak))) continue;
        walk(av, liveAnn[ak], field(field(metadata, "annotations"), ak), new Set(), out);
      }
      continue;
    }
    if (k === "labels" && v && typeof v === "object") {
      const liveLabels = (live.labels ?? {}) as Record<string, unknown>;
      for (const [lk, lv] of Object.entries(v)) {
        if (!HELM_LABELS.has(lk)) walk(lv, liveLabels[lk], field(field(metadata, "labels"), lk), new Set(), out);
      }
      continue;
    }
    walk(v, live[k], field(metadata, k), new Set(), out);
  }
}

const seg = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

function walk(desired: unknown, live: unknown, at: At, skip: ReadonlySet<string>, out: Found[]): void {
  if (skip.has(at.path) || desired === null || desired === undefined) return;
  const drifted = () => out.push({ path: at.path, steps: at.steps, expected: desired, live });
  if (Array.isArray(desired)) {
    if (desired.length === 0) {
      if (Array.isArray(live) && live.length > 0) drifted();
      return;
    }
    if (!Array.isArray(live)) {
      drifted();
      return;
    }
    if (desired.every(isNamed) && new Set(desired.map((d) => d.name)).size === desired.length) {
      // Lists of uniquely named items (containers, ports, env) match by name: an injected sidecar is not drift.
      // (volumeMounts may repeat a name with different subPaths: those match by position.)
      desired.forEach((d, i) => {
        const j = live.findIndex((l) => isNamed(l) && l.name === d.name);
        if (j < 0) out.push({ path: `${at.path}[${i}]`, steps: [...at.steps, { item: undefined, index: -1 }], expected: d, live: undefined });
        else walk(d, live[j], item(at, i, live[j], j), skip, out);
      });
      return;
    }
    if (desired.some((d) => d !== null && typeof d === "object")) {
      desired.forEach((d, i) => walk(d, live[i], item(at, i, live[i], i), skip, out));
      return;
    }
    if (desired.length !== live.length || desired.some((d, i) => !sameScalar(d, live[i]))) drifted();
    return;
  }
  if (typeof desired === "object") {
    const entries = Object.entries(desired as Record<string, unknown>);
    if (entries.length === 0) return; // `{}` may be dropped or kept by the API server: never drift
    if (live === null || live === undefined || typeof live !== "object" || Array.isArray(live)) {
      drifted();
      return;
    }
    for (const [k, v] of entries) walk(v, (live as Record<string, unknown>)[k], field(at, k), skip, out);
    return;
  }
  // Go's omitempty drops false, 0 and "" from what the API server returns.
  if (live === undefined && (desired === false || desired === 0 || desired === "")) return;
  if (!sameScalar(desired, live)) drifted();
}

const isNamed = (x: unknown): x is { name: unknown } => x !== null && typeof x === "object" && !Array.isArray(x) && typeof (x as { name?: unknown }).name === "string";

function sameScalar(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const scalar = (x: unknown): x is string | number => typeof x === "string" || typeof x === "number";
  if (!scalar(a) || !scalar(b)) return false;
  const sa = String(a);
  const sb = String(b);
  if (sa === sb) return true;
  const qa = quantity(sa);
  const qb = quantity(sb);
  // Plain numbers alone are not quantities ("08" is not "8"); one side must carry a unit.
  return qa !== undefined && qb !== undefined && (qa.unit || qb.unit) && Math.abs(qa.value - qb.value) <= 1e-9 * Math.max(qa.value, qb.value);
}

// Kubernetes quantities the API server re-writes in canonical form ("0.5" -> "500m", "1024Mi" -> "1Gi").
const SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
function quantity(s: string): { value: number; unit: boolean } | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(s);
  if (!m) return undefined;
  return { value: Number(m[1]) * (m[2] ? SUFFIX[m[2]]! : 1), unit: m[2] !== undefined };
}

// A Secret's values never leave; who changed them does (a manager's name, an operation, a time).
const redact = (f: FieldDrift): FieldDrift => ({ path: f.path, expected: "[redacted]", live: f.live === undefined ? undefined : "[redacted]", ...(f.by ? { by: f.by } : {}) });

/** `Deployment/shop-api: spec.template.spec.containers[0].image: "x:1" -> "x:2" (by kubectl-set Update at 2024-05-02T09:30:00Z)` */
export function formatDrift(o: ObjectDrift): string[] {
  if (o.missing) return [`${o.kind}/${o.name}: missing (deleted from the cluster)`];
  const show = (v: unknown) => (v === undefined ? "<absent>" : JSON.stringify(v));
  return o.fields.map((f) => `${o.kind}/${o.name}: ${f.path}: ${show(f.expected)} -> ${show(f.live)}${formatOwner(f.by)}`);
}

/** ` (by kubectl-set Update at <time>)`, or ` (owned by no manager now; last recorded write: kubectl-edit at <time>)` when nobody owns the field now; "" when unknown. */
export function formatOwner(by: FieldOwner | undefined): string {
  if (!by) return "";
  const at = by.time ? ` at ${by.time}` : "";
  return by.exact ? ` (by ${by.manager}${by.operation ? ` ${by.operation}` : ""}${at})` : ` (owned by no manager now; last recorded write: ${by.manager}${at})`;
}

/** Number of drifted fields (a missing object counts as one). */
export const driftCount = (objects: ObjectDrift[]) => objects.reduce((n, o) => n + (o.missing ? 1 : o.fields.length), 0);
