// What a commit may make berth do with a Notification: read a file only inside
// the directories the operator hands over (--notification-credentials-dir, its
// symlinks followed), and post only to URLs the operator allows
// (--notification-url-allow). A refusal names file:line, the field and the flag.
import { readFile, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { isInside } from "../adapters/inside-root.ts";
import { urlAllowed } from "../adapters/charts/credentials.ts";
import { NotifyError } from "../errors.ts";
import { where, type FieldPath } from "../model/issue.ts";
import { NOTIFICATION_CREDENTIALS_DIR_FLAG, NOTIFICATION_URL_FLAG, hostPathProblem } from "../model/kubeconfig-path.ts";
import type { Notification } from "../model/types.ts";
import { formatPath } from "../model/origin.ts";

/** The operator's word on notifications (flags, never git). */
export interface NotifyPolicy {
  /** --notification-credentials-dir: secretFile, urlFile and tokenFile must resolve inside one of these. */
  credentialDirs: string[];
  /** --notification-url-allow: every URL berth posts to must be one of these or below one; none given: berth posts nowhere. */
  urls: string[];
}

/** A sink as logs and errors may name it: its kind and the host it posts to, nothing of a path, token or key. */
export function sinkLabel(kind: string, url: string | undefined): string {
  if (url === undefined) return kind;
  try {
    return `${kind} ${new URL(url).host}`;
  } catch {
    return `${kind} (an unreadable URL)`;
  }
}

/** `notify/team.yaml:9:7 spec.sinks[0].webhook.url`: where a refusal's field is. */
export const fieldAt = (n: Notification, path: FieldPath) => `${where(n.origin, path)} ${formatPath(path)}`;
const at = fieldAt;

/** The bytes of a sink's file (trailing newlines dropped), if it resolves inside an allowed directory. */
export async function readSinkFile(n: Notification, path: FieldPath, raw: string, policy: NotifyPolicy, label: string): Promise<string> {
  const spelling = hostPathProblem(raw, NOTIFICATION_CREDENTIALS_DIR_FLAG);
  if (spelling) throw new NotifyError(label, `${at(n, path)}: ${spelling}`, { retryable: false });
  const file = await realpath(raw.startsWith("~/") ? homedir() + raw.slice(1) : raw).catch(() => undefined);
  const dirs = await Promise.all(policy.credentialDirs.map((d) => realpath(d).catch(() => d)));
  // the same answer whether the file is missing or outside: nothing is learnt of files berth may not read
  if (!file || !dirs.some((d) => isInside(d, file)))
    throw new NotifyError(label, `${at(n, path)}: ${raw} is not a file inside the directories the operator allows (${policy.credentialDirs.join(", ") || "none"}); put it in one of them or start berth with ${NOTIFICATION_CREDENTIALS_DIR_FLAG}`, { retryable: false });
  const text = (await readFile(file, "utf8")).replace(/[\r\n]+$/, "");
  if (!text) throw new NotifyError(label, `${at(n, path)}: ${raw} is empty`, { retryable: false });
  return text;
}

/**
 * Refuses a URL the operator did not allow. `shown` says how the URL may be
 * named: a URL from git is named as written, a URL read from a file (Slack's,
 * whose path is its secret) by its host only.
 */
export function checkUrl(n: Notification, path: FieldPath, url: string, policy: NotifyPolicy, label: string, shown: "url" | "host"): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NotifyError(label, `${at(n, path)}: not a URL`, { retryable: false });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new NotifyError(label, `${at(n, path)}: only http(s) URLs are posted to, got ${parsed.protocol}`, { retryable: false });
  if (parsed.username || parsed.password) throw new NotifyError(label, `${at(n, path)}: a URL with user:password@ is refused; credentials come from files`, { retryable: false });
  if (!urlAllowed(url, policy.urls)) {
    const what = shown === "url" ? url : `a URL on ${parsed.host}`;
    throw new NotifyError(label, `${at(n, path)}: ${what} is not one the operator allows (${policy.urls.join(", ") || "none"}); nothing was sent; ask for it to be added with ${NOTIFICATION_URL_FLAG}`, { retryable: false });
  }
}
