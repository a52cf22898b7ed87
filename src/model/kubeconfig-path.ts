// How a Cluster's spec.kubeconfig.path may be spelled. Pure, so `berth
// validate` says it at file:line and the reconciler refuses the same paths;
// where the path may lead (the operator's directories) is decided at run time.

/** Why a path is refused by its spelling alone, or undefined. Never echoes an environment value. */
export function kubeconfigPathProblem(raw: string, dirFlag: string): string | undefined {
  return hostPathProblem(raw, dirFlag, "a kubeconfig path");
}

/**
 * Why a path to a file on the berth host (a kubeconfig, a repository's
 * credential or CA file) is refused by its spelling alone, or undefined.
 */
export function hostPathProblem(raw: string, dirFlag: string, what = "a path on the berth host"): string | undefined {
  if (raw.includes("$")) {
    return `path ${JSON.stringify(raw)} has a "$": nothing in ${what} is expanded from the environment; write the path itself, absolute or under ~/ (berth's home), inside a directory the operator allows with ${dirFlag}`;
  }
  if (raw.startsWith("~") && raw !== "~" && !raw.startsWith("~/")) {
    return `path ${JSON.stringify(raw)}: only ~/ (the home of berth's own user) is expanded, not ~user; write an absolute path`;
  }
  if (!raw.startsWith("/") && !raw.startsWith("~")) {
    return `path ${JSON.stringify(raw)} is relative, so it would depend on the directory berth runs in; write an absolute path or one under ~/`;
  }
  return undefined;
}

export const KUBECONFIG_DIR_FLAG = "--kubeconfig-dir DIR (or BERTH_KUBECONFIG_DIRS=DIR:DIR)";

export const REPOSITORY_CREDENTIALS_DIR_FLAG = "--repository-credentials-dir DIR (or BERTH_REPOSITORY_CREDENTIAL_DIRS=DIR:DIR)";

export const NOTIFICATION_CREDENTIALS_DIR_FLAG = "--notification-credentials-dir DIR (or BERTH_NOTIFICATION_CREDENTIAL_DIRS=DIR:DIR)";

export const NOTIFICATION_URL_FLAG = "--notification-url-allow URL (or BERTH_NOTIFICATION_URLS=URL,URL)";
