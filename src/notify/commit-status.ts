// A commit status on a forge: the request for Gitea, GitHub or GitLab, and
// the repository it goes to (the sink's `repository`, else the source URL
// berth follows). Pure; send.ts posts it.
import type { NotificationSink } from "../model/types.ts";
import type { CommitState, StatusUpdate } from "./commit-state.ts";
import { statusContext } from "./commit-state.ts";

export type CommitStatusSink = Extract<NotificationSink, { commitStatus: unknown }>["commitStatus"];

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const GITLAB_STATE: Record<CommitState, string> = { pending: "running", success: "success", failure: "failed" };

/**
 * The repository's path on the forge from the source URL berth follows:
 * `https://git.example.com/shop/defs.git` -> `shop/defs` (below the sink's own
 * path when the forge lives under one), `git@host:shop/defs.git` likewise.
 * Undefined when the source is not a forge URL (a local directory, file://).
 */
export function repositoryFromSource(source: string, forgeUrl: string): string | undefined {
  let path: string | undefined;
  let host: string | undefined;
  const scp = /^[^/\s:]+@([^/\s:]+):(.+)$/.exec(source);
  if (scp) {
    host = scp[1];
    path = scp[2];
  } else {
    try {
      const u = new URL(source);
      if (!["https:", "http:", "ssh:", "git:"].includes(u.protocol)) return undefined;
      host = u.hostname;
      path = decodeURIComponent(u.pathname);
    } catch {
      return undefined;
    }
  }
  path = path!.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\.git$/, "");
  try {
    const forge = new URL(forgeUrl);
    const prefix = forge.pathname.replace(/^\/+/, "").replace(/\/+$/, "");
    if (forge.hostname === host && prefix && path.startsWith(`${prefix}/`)) path = path.slice(prefix.length + 1);
  } catch {
    // the sink's URL is checked before anything is sent
  }
  return path.includes("/") ? path : undefined;
}

/** The POST that sets `berth/<cluster>` on `update.sha`. */
export function commitStatusRequest(sink: CommitStatusSink, repository: string, token: string, update: StatusUpdate, targetUrl?: string): OutgoingRequest {
  const base = sink.url.replace(/\/+$/, "");
  const context = statusContext(update.cluster);
  const sha = encodeURIComponent(update.sha);
  if (sink.provider === "gitlab") {
    return {
      url: `${base}/api/v4/projects/${encodeURIComponent(repository)}/statuses/${sha}`,
      headers: { "content-type": "application/json", "private-token": token },
      body: JSON.stringify({ state: GITLAB_STATE[update.state], name: context, description: update.description, ...(targetUrl ? { target_url: targetUrl } : {}) }),
    };
  }
  const [owner, repo] = repository.split("/").map(encodeURIComponent) as [string, string];
  const api = sink.provider === "gitea" ? `${base}/api/v1` : base;
  return {
    url: `${api}/repos/${owner}/${repo}/statuses/${sha}`,
    headers: {
      "content-type": "application/json",
      ...(sink.provider === "gitea" ? { authorization: `token ${token}` } : { authorization: `Bearer ${token}`, accept: "application/vnd.github+json" }),
    },
    body: JSON.stringify({ state: update.state, context, description: update.description, ...(targetUrl ? { target_url: targetUrl } : {}) }),
  };
}
