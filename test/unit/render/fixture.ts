// Test-only: builds Repo objects in code (render stays testable without the loader).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Kind, Origin, Repo, TraitDefinition, WorkloadDefinition } from "../../../src/model/types.ts";

export const PKG_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export function origin(file: string): Origin {
  return { file, pos: () => ({ line: 1, col: 1 }) };
}

export function doc<K extends Kind, S>(kind: K, name: string, spec: S, labels?: Record<string, string>) {
  return {
    apiVersion: "berth.dev/v1alpha1" as const,
    kind,
    metadata: { name, ...(labels ? { labels } : {}) },
    spec,
    origin: origin(`${kind.toLowerCase()}s/${name}.yaml`),
  };
}

function readDefs<T extends WorkloadDefinition | TraitDefinition>(dir: string): T[] {
  const abs = join(PKG_ROOT, "definitions", dir);
  return readdirSync(abs)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const raw = parse(readFileSync(join(abs, f), "utf8")) as Omit<T, "origin" | "builtin" | "files">;
      const files: Record<string, string> = {};
      for (const ref of (raw.spec as { templates: string[] }).templates) {
        files[ref] = readFileSync(join(abs, ref), "utf8");
      }
      return { ...raw, origin: origin(`definitions/${dir}/${f}`), builtin: true, files } as T;
    });
}

export function builtins(): Pick<Repo, "workloads" | "traits"> {
  return { workloads: readDefs<WorkloadDefinition>("workloads"), traits: readDefs<TraitDefinition>("traits") };
}

