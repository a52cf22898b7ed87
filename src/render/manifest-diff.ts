// The Kubernetes objects two renders of one release produce (`helm template`
// output of each side), compared as parsed YAML: split into objects by
// kind/namespace/name, matched, and each changed object shown as a unified
// diff of its canonical YAML (sorted keys, no comments, so neither key order
// nor comments count). A Secret's `data`/`stringData` values never appear,
// nor (unless asked) the values of secret-looking keys: they read `••••••`, or
// `•••••• (changed)` on the side where they changed. Pure; the helm calls
// are in cli/diff-manifests.ts.
import { parseAllDocuments, stringify } from "yaml";
import { isClusterScopedKind } from "../model/cluster-scoped.ts";
import type { JsonObject } from "../model/types.ts";
import type { Change } from "./diff.ts";
import { unifiedDiff } from "./line-diff.ts";
import { isPlainObject } from "./merge.ts";
import { sortKeys } from "./yaml-out.ts";
import { MASK, MASK_CHANGED, maskPair } from "./secret-mask.ts";

export interface ManifestObject {
  /** `<api group>/<kind>/<namespace>/<name>`: what matches an object across the two sides (a version move inside the group is a change). */
  key: string;
  /** `Kind/namespace/name`, or `Kind/name` for a cluster-scoped kind. */
  label: string;
  kind: string;
  body: JsonObject;
}

export interface ObjectChange {
  label: string;
  change: Change;
  /** Unified hunks of the canonical YAML (the whole object for added / removed); "" with `note` when too large. */
  patch: string;
  note?: string;
}

/** What the object comparison of one release found, or why it could not be made. */
export type ReleaseObjects = { changes: ObjectChange[]; unchanged: number } | { error: string };

/** What a masked value reads (secret-mask.ts): `••••••`, and `•••••• (changed)` on the side where it changed. */
export const REDACTED = MASK;
export const REDACTED_CHANGED = MASK_CHANGED;

/** A line diff larger than this many cells (lines x lines, after the common ends) is not computed. */
const MAX_DIFF_CELLS = 4_000_000;

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "");

/**
 * Multi-document YAML (as `helm template` prints it) -> objects. Documents
 * without a kind or name (empty, comments only) are skipped; a `*List` is
 * split into its items; a namespaced object that names no namespace is in
 * the release's. Throws on YAML that does not parse.
 */
export function splitManifest(text: string, releaseNamespace: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const seen = new Map<string, number>();
  const add = (o: unknown) => {
    if (!isPlainObject(o) || typeof o.kind !== "string" || !isPlainObject(o.metadata) || typeof o.metadata.name !== "string") return;
    if (o.kind.endsWith("List") && Array.isArray(o.items)) {
      for (const i of o.items) add(i);
      return;
    }
    const apiVersion = typeof o.apiVersion === "string" ? o.apiVersion : "";
    const scoped = isClusterScopedKind(o.kind);
    const ns = scoped ? "" : typeof o.metadata.namespace === "string" && o.metadata.namespace ? o.metadata.namespace : releaseNamespace;
    const name = o.metadata.name;
    let key = `${groupOf(apiVersion)}/${o.kind}/${ns}/${name}`;
    let label = scoped ? `${o.kind}/${name}` : `${o.kind}/${ns}/${name}`;
    // the same object twice in one manifest: keep both, numbered, rather than lose one
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > 1) {
      key = `${key}#${n}`;
      label = `${label} (#${n})`;
    }
    out.push({ key, label, kind: o.kind, body: o as JsonObject });
  };
  // a key given twice is read as the API server reads it (the last wins), not refused
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    const err = doc.errors[0];
    if (err) throw new Error(`the rendered manifest is not valid YAML: ${err.message.split("\n")[0]}`);
    add(doc.toJS({ maxAliasCount: 1000 }));
  }
  return out;
}

const canonical = (v: unknown) => JSON.stringify(sortKeys(v));

const isSecret = (o: ManifestObject) => o.kind === "Secret" && o.key.startsWith("/");

/**
 * A pair of one object's bodies with what must not show masked, unless
 * `showSecrets`: a Secret's `data` and `stringData` values (as kubectl diff
 * hides them; `secret: false` for any other object), and the values of
 * secret-looking keys anywhere (an env entry's DB_PASSWORD, a ConfigMap's
 * api.key). The head side of a masked value that changed reads `•••••• (changed)`.
 */
export function redactSecrets(a: JsonObject | undefined, b: JsonObject | undefined, o: { secret?: boolean; showSecrets?: boolean } = {}): [JsonObject | undefined, JsonObject | undefined] {
  if (o.showSecrets) return [a, b];
  const opts = { manifest: true, secretFields: o.secret === false ? [] : ["data", "stringData"] };
  const [ma, mb] = maskPair(a ?? {}, b ?? {}, opts);
  return [a && ma, b && mb];
}

/** Canonical YAML of an object: keys sorted, block scalars for multi-line strings. */
export const objectYaml = (o: JsonObject): string => stringify(sortKeys(o), { lineWidth: 0 });

/** The line diff of two object texts; the common head and tail are cut first, so a long object with a small change stays cheap. */
export function objectPatch(before: string, after: string, context = 3): { patch: string; note?: string } {
  const a = before === "" ? [] : before.replace(/\n$/, "").split("\n");
  const b = after === "" ? [] : after.replace(/\n$/, "").split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const skip = Math.max(0, head - context);
  const keepTail = Math.min(tail, context);
  const ma = a.slice(skip, a.length - tail + keepTail);
  const mb = b.slice(skip, b.length - tail + keepTail);
  if ((ma.length - 2 * context) * (mb.length - 2 * context) > MAX_DIFF_CELLS) {
    return { patch: "", note: `too large for a line diff (${a.length} -> ${b.length} lines)` };
  }
  const text = (l: string[]) => (l.length ? `${l.join("\n")}\n` : "");
  const patch = unifiedDiff(text(ma), text(mb), context).replace(
    /^@@ -(\d+),(\d+) \+(\d+),(\d+) @@$/gm,
    (_, p: string, q: string, r: string, s: string) => `@@ -${Number(p) + skip},${q} +${Number(r) + skip},${s} @@`,
  );
  return { patch };
}

/**
 * The objects added, removed and changed from `base` to `head` (either may be
 * absent: a release added or removed), sorted by label.
 */
export function diffObjects(
  base: ManifestObject[] | undefined,
  head: ManifestObject[] | undefined,
  o: { showSecrets?: boolean } = {},
): { changes: ObjectChange[]; unchanged: number } {
  const a = new Map((base ?? []).map((o) => [o.key, o]));
  const b = new Map((head ?? []).map((o) => [o.key, o]));
  const changes: ObjectChange[] = [];
  let unchanged = 0;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (x && y && canonical(x.body) === canonical(y.body)) {
      unchanged++;
      continue;
    }
    const any = (y ?? x) as ManifestObject;
    const [bx, by] = redactSecrets(x?.body, y?.body, { secret: isSecret(any), showSecrets: o.showSecrets });
    const { patch, note } = objectPatch(bx ? objectYaml(bx) : "", by ? objectYaml(by) : "");
    changes.push({ label: any.label, change: !x ? "added" : !y ? "removed" : "changed", patch, ...(note ? { note } : {}) });
  }
  changes.sort((p, q) => (p.label < q.label ? -1 : p.label > q.label ? 1 : 0));
  return { changes, unchanged };
}

/** Counts by change (changed, added, removed; zeros left out): `1 changed, 2 added`. */
export function objectCounts(changes: ObjectChange[]): string {
  const n = (c: Change) => changes.filter((x) => x.change === c).length;
  const parts = (["changed", "added", "removed"] as const).filter((c) => n(c) > 0).map((c) => `${n(c)} ${c}`);
  return parts.length ? parts.join(", ") : "no change";
}
