// Who last wrote a field, pure: read from the live object's
// metadata.managedFields, the API server's record of which field manager owns
// which fields (server-side apply's bookkeeping, kept for every write).
//
// Each entry's fieldsV1 is a trie (sigs.k8s.io/structured-merge-diff): keys
// `f:<name>` for a struct field or map key, and for a list item
// `k:<json>` (the item's merge keys and their values), `v:<json>` (a set
// item's whole value) or `i:<n>` (its position); `.` marks the node itself,
// an empty object a leaf. An entry owns a field when its trie reaches it, or
// reaches an atomic ancestor (a leaf with the path still going on).
//
// A field nobody owns was removed by someone (an Update that deleted it, such
// as `kubectl edit`): the most recent Update of the object is the best guess,
// and is said to be one (`exact: false`). It can be wrong: a write that only
// removed fields leaves its manager owning nothing, and the API server keeps
// no entry for it (`kubectl label x-` shows up nowhere), so the guess names
// the latest update managedFields still records.
import { isDeepStrictEqual } from "node:util";

/** One step of a path into an object: a field or map key, or a list item as found in the live object. */
export type PathStep = string | { item: unknown; index: number };

export interface FieldOwner {
  manager: string;
  /** `Apply` (server-side apply) or `Update` (create, update, patch). */
  operation: string;
  /** When the manager's entry last changed, as the API server gives it. */
  time?: string;
  /** false: nobody owns the field now; this is the latest update managedFields records (a guess: see above). */
  exact: boolean;
}

interface Entry {
  manager?: unknown;
  operation?: unknown;
  time?: unknown;
  subresource?: unknown;
  fieldsType?: unknown;
  fieldsV1?: unknown;
}

type Trie = Record<string, unknown>;

/** The manager that last wrote the field at `steps`, or undefined when the object has no managedFields. */
export function fieldOwner(managedFields: unknown, steps: readonly PathStep[]): FieldOwner | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  const entries = (managedFields as Entry[]).filter((e) => e && typeof e === "object" && typeof e.manager === "string");
  const owners = entries.filter((e) => e.fieldsType === "FieldsV1" && reaches(e.fieldsV1, steps));
  const exact = latest(owners);
  if (exact) return describe(exact, true);
  // A subresource's writes (status, scale) remove no field a manifest sets: never the guess.
  const whole = entries.filter((e) => !e.subresource);
  const fallback = latest(whole.filter((e) => e.operation === "Update")) ?? latest(whole);
  return fallback ? describe(fallback, false) : undefined;
}

function describe(e: Entry, exact: boolean): FieldOwner {
  return { manager: e.manager as string, operation: typeof e.operation === "string" ? e.operation : "", ...(typeof e.time === "string" ? { time: e.time } : {}), exact };
}

/** The entry with the latest time; on a tie (or no times) the first listed. */
function latest(entries: Entry[]): Entry | undefined {
  let best: Entry | undefined;
  for (const e of entries) if (!best || timeOf(e) > timeOf(best)) best = e;
  return best;
}

const timeOf = (e: Entry) => {
  const t = typeof e.time === "string" ? Date.parse(e.time) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
};

function reaches(fields: unknown, steps: readonly PathStep[]): boolean {
  let node = asTrie(fields);
  if (!node) return false;
  for (const step of steps) {
    // A leaf above the end of the path: an atomic map or list, owned whole.
    if (node !== fields && Object.keys(node).length === 0) return true;
    const next: Trie | undefined = typeof step === "string" ? asTrie(node[`f:${step}`]) : itemNode(node, step);
    if (!next) return false;
    node = next;
  }
  return true;
}

function itemNode(node: Trie, step: { item: unknown; index: number }): Trie | undefined {
  if (step.item === undefined) return undefined; // not in the live list: nobody owns it
  for (const [key, child] of Object.entries(node)) {
    if (key.startsWith("k:")) {
      const keys = parseJson(key.slice(2));
      if (keys && typeof keys === "object" && !Array.isArray(keys) && matchesKeys(step.item, keys as Record<string, unknown>)) return asTrie(child);
    } else if (key.startsWith("v:")) {
      const value = parseJson(key.slice(2));
      if (value !== undefined && isDeepStrictEqual(value, step.item)) return asTrie(child);
    } else if (key === `i:${step.index}`) return asTrie(child);
  }
  return undefined;
}

function matchesKeys(item: unknown, keys: Record<string, unknown>): boolean {
  if (!item || typeof item !== "object" || Array.isArray(item)) return false;
  const entries = Object.entries(keys);
  return entries.length > 0 && entries.every(([k, v]) => isDeepStrictEqual((item as Record<string, unknown>)[k], v));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const asTrie = (x: unknown): Trie | undefined => (x && typeof x === "object" && !Array.isArray(x) ? (x as Trie) : undefined);
