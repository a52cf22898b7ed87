// Rules about single fields a JSON Schema cannot say well: DNS-1123 names,
// semver versions and ranges, release name length, kubeconfig, upgrade steps.
import semver from "semver";
import type { Issue } from "../../errors.ts";
import { issueAt, type FieldPath } from "../issue.ts";
import { KUBECONFIG_DIR_FLAG, kubeconfigPathProblem } from "../kubeconfig-path.ts";
import { releaseName } from "../select.ts";
import type { Origin } from "../types.ts";
import type { Rule } from "./context.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Helm refuses release names longer than this. */
export const MAX_RELEASE_NAME = 53;

export function dnsLabelProblem(name: string, max = 63): string | undefined {
  if (name.length > max) return `must be at most ${max} characters, got ${name.length} (${JSON.stringify(name)})`;
  if (!DNS_LABEL.test(name))
    return `must be a DNS-1123 label (lowercase letters, digits and '-', starting and ending with a letter or digit), like "my-app", got ${JSON.stringify(name)}`;
  return undefined;
}

function checkName(out: Issue[], origin: Origin, path: FieldPath, name: string): void {
  const p = dnsLabelProblem(name);
  if (p) out.push(issueAt(origin, path, p));
}

/** A canonical semver version: `1.2.3`, `1.2.3-rc.1`, `1.2.3+build`. */
export function versionProblem(v: string): string | undefined {
  const parsed = semver.parse(v);
  if (parsed === null) return `must be a semver version like 1.2.3, got ${JSON.stringify(v)}`;
  const clean = parsed.build.length ? `${parsed.version}+${parsed.build.join(".")}` : parsed.version;
  if (clean !== v) return `must be written as a plain semver version: ${clean}, got ${JSON.stringify(v)}`;
  return undefined;
}

export function rangeProblem(r: string): string | undefined {
  if (r.trim() === "" || semver.validRange(r) === null)
    return `must be a semver range like ^1.2.0, ~1.2.3 or ">=1.0.0 <2", got ${JSON.stringify(r)}`;
  return undefined;
}

function checkVersion(out: Issue[], origin: Origin, path: FieldPath, v: string): void {
  const p = versionProblem(v);
  if (p) out.push(issueAt(origin, path, p));
}

function checkRange(out: Issue[], origin: Origin, path: FieldPath, r: string): void {
  const p = rangeProblem(r);
  if (p) out.push(issueAt(origin, path, p));
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label syntax: `[prefix/]name` keys, values of at most 63 characters. */
export function labelProblem(key: string, value: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  if ((prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix))) || name.length > 63 || !LABEL_NAME.test(name))
    return `label key ${JSON.stringify(key)} is not a Kubernetes label key: [dns.prefix/]name, the name at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  if (value.length > 63 || (value !== "" && !LABEL_NAME.test(value)))
    return `label value ${JSON.stringify(value)} is not a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}

export const fieldRules: Rule = ({ docs }) => {
  const out: Issue[] = [];
  const all = [...docs.components, ...docs.charts, ...docs.chartRepositories, ...docs.applications, ...docs.overlays, ...docs.clusters, ...docs.workloads, ...docs.traits];
  for (const d of all) {
    if (!("builtin" in d && d.builtin)) checkName(out, d.origin, ["metadata", "name"], d.metadata.name);
    for (const [k, v] of Object.entries(d.metadata.labels ?? {})) {
      const p = labelProblem(k, v);
      if (p) out.push(issueAt(d.origin, ["metadata", "labels", k], p));
    }
  }

  for (const c of docs.components) {
    checkVersion(out, c.origin, ["spec", "version"], c.spec.version);
    if (c.spec.version.includes("+") && c.spec.container.tag === undefined)
      out.push(issueAt(c.origin, ["spec", "version"], `build metadata ("+...") cannot be part of an image tag, and the tag defaults to the version: set spec.container.tag`));
    for (const [name, range] of Object.entries(c.spec.requires ?? {})) {
      checkName(out, c.origin, ["spec", "requires", name], name);
      checkRange(out, c.origin, ["spec", "requires", name], range);
    }
    (c.spec.upgrades ?? []).forEach((u, i) => {
      const at = ["spec", "upgrades", i];
      checkRange(out, c.origin, [...at, "from"], u.from);
      const toProblem = versionProblem(u.to);
      if (toProblem) out.push(issueAt(c.origin, [...at, "to"], toProblem));
      else if (semver.valid(c.spec.version) && semver.gt(u.to, c.spec.version))
        out.push(issueAt(c.origin, [...at, "to"], `must not be above this Component's own version ${c.spec.version}, got ${u.to}: declare the step in the Component of version ${u.to}`));
      else if (!rangeProblem(u.from) && semver.satisfies(u.to, u.from, { includePrerelease: true }))
        out.push(issueAt(c.origin, [...at, "from"], `range ${JSON.stringify(u.from)} includes the target version ${u.to} itself; it must only cover older versions, e.g. "<${u.to}"`));
    });
  }
  for (const c of docs.charts) for (const name of Object.keys(c.spec.requires ?? {})) checkName(out, c.origin, ["spec", "requires", name], name);
  for (const d of [...docs.workloads, ...docs.traits]) checkVersion(out, d.origin, ["spec", "version"], d.spec.version);

  for (const app of docs.applications) {
    checkName(out, app.origin, ["spec", "namespace"], app.spec.namespace);
    app.spec.components.forEach((e, i) => {
      const at = ["spec", "components", i];
      checkName(out, app.origin, [...at, "name"], e.name);
      checkRange(out, app.origin, [...at, "version"], e.version);
      const release = releaseName(app.metadata.name, e.name);
      if (release.length > MAX_RELEASE_NAME && DNS_LABEL.test(e.name))
        out.push(issueAt(app.origin, [...at, "name"], `release name ${JSON.stringify(release)} (<application>-<entry>) is ${release.length} characters; Helm allows at most ${MAX_RELEASE_NAME}: shorten the application or entry name`));
    });
  }
  for (const o of docs.overlays)
    for (const [entry, patch] of Object.entries(o.spec.components))
      if (patch.version !== undefined) checkRange(out, o.origin, ["spec", "components", entry, "version"], patch.version);

  for (const c of docs.clusters) {
    const kc = c.spec.kubeconfig;
    if (!kc) continue;
    const hasPath = kc.path !== undefined;
    const inCluster = kc.inCluster === true;
    if (hasPath === inCluster)
      out.push(issueAt(c.origin, ["spec", "kubeconfig"], hasPath
        ? "has both path and inCluster: true; use exactly one of them"
        : "needs exactly one of path (e.g. { path: ~/.kube/config, context: prod }) or inCluster: true"));
    const spelling = kc.path === undefined ? undefined : kubeconfigPathProblem(kc.path, KUBECONFIG_DIR_FLAG);
    if (spelling) out.push(issueAt(c.origin, ["spec", "kubeconfig", "path"], spelling));
  }
  return out;
};
