// Notifications: the applications and clusters they name must exist, each name
// once; their sinks name files on the berth host (never a secret in git), by a
// spelling the operator's directories can hold. Where the files lead and which
// URLs berth may post to is the operator's call at run time (src/notify/trust.ts).
import type { Issue } from "../../errors.ts";
import { issueAt, list, where, type FieldPath } from "../issue.ts";
import { NOTIFICATION_CREDENTIALS_DIR_FLAG, hostPathProblem } from "../kubeconfig-path.ts";
import type { Notification } from "../types.ts";
import type { Rule, RuleContext } from "./context.ts";

/** A URL carrying `user:password@` or `token@`: a credential in git. */
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i;

function names(ctx: RuleContext, n: Notification, field: "applications" | "clusters", out: Issue[]): void {
  const known = field === "applications" ? ctx.apps : ctx.clusters;
  const broken = field === "applications" ? ctx.broken.Application : ctx.broken.Cluster;
  const kind = field === "applications" ? "Application" : "Cluster";
  (n.spec[field] ?? []).forEach((name, i) => {
    if (known.has(name) || broken.has(name)) return;
    out.push(issueAt(n.origin, ["spec", field, i], `no ${kind} named ${JSON.stringify(name)}; known: ${list([...known.keys()].sort())}`));
  });
}

function hostFile(n: Notification, at: FieldPath, path: string, out: Issue[]): void {
  const p = hostPathProblem(path, NOTIFICATION_CREDENTIALS_DIR_FLAG);
  if (p) out.push(issueAt(n.origin, at, p));
}

function sinks(n: Notification, out: Issue[]): void {
  n.spec.sinks.forEach((s, i) => {
    const at = ["spec", "sinks", i];
    if ("webhook" in s) {
      if (USERINFO.test(s.webhook.url))
        out.push(issueAt(n.origin, [...at, "webhook", "url"], "credentials never go in git: remove user:password@ from the URL; the body is signed with the key in secretFile"));
      hostFile(n, [...at, "webhook", "secretFile"], s.webhook.secretFile, out);
    } else if ("slack" in s) {
      hostFile(n, [...at, "slack", "urlFile"], s.slack.urlFile, out);
    } else if ("commitStatus" in s) {
      const c = s.commitStatus;
      if (USERINFO.test(c.url))
        out.push(issueAt(n.origin, [...at, "commitStatus", "url"], "credentials never go in git: remove user:password@ from the URL and name the token's file in tokenFile"));
      hostFile(n, [...at, "commitStatus", "tokenFile"], c.tokenFile, out);
      const repo = c.repository;
      if (repo !== undefined && c.provider !== "gitlab" && !/^[^/\s]+\/[^/\s]+$/.test(repo))
        out.push(issueAt(n.origin, [...at, "commitStatus", "repository"], `must be owner/name on ${c.provider}, like shop-team/definitions, got ${JSON.stringify(repo)}`));
      if (repo !== undefined && c.provider === "gitlab" && (/\s/.test(repo) || repo.startsWith("/") || repo.endsWith("/")))
        out.push(issueAt(n.origin, [...at, "commitStatus", "repository"], `must be the project's path on GitLab, like group/subgroup/project, got ${JSON.stringify(repo)}`));
    }
  });
}

export const notificationRules: Rule = (ctx) => {
  const out: Issue[] = [];
  const first = new Map<string, Notification>();
  for (const n of ctx.docs.notifications ?? []) {
    const prev = first.get(n.metadata.name);
    // the name is part of every event id: two of one name would share what was sent
    if (prev) out.push(issueAt(n.origin, ["metadata", "name"], `duplicate Notification ${JSON.stringify(n.metadata.name)}: also defined at ${where(prev.origin, ["metadata", "name"])}; rename or remove one of them`));
    else first.set(n.metadata.name, n);
    names(ctx, n, "applications", out);
    names(ctx, n, "clusters", out);
    sinks(n, out);
  }
  return out;
};
