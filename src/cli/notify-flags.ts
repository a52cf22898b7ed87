// The operator's flags for Notifications (berth serve): which directories
// sinks' files may be in, which URLs berth may post to, and berth's namespace
// on each cluster where what was sent is remembered. Never settable from git.
import type { Command } from "commander";
import { resolve } from "node:path";
import type { NotifyPolicy } from "../notify/trust.ts";

export interface NotifyFlags {
  notificationCredentialsDir?: string[];
  notificationUrlAllow?: string[];
  notificationNamespace?: string;
}

const more = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function addNotifyFlags(cmd: Command): Command {
  return cmd
    .option(
      "--notification-credentials-dir <DIR>",
      "a directory Notifications' secretFile, urlFile and tokenFile may be in, symlinks followed (repeatable; default $BERTH_NOTIFICATION_CREDENTIAL_DIRS, colon-separated; else none: such sinks are refused)",
      more,
    )
    .option(
      "--notification-url-allow <URL>",
      "a URL (or a prefix of URLs) Notifications may post to: webhooks, Slack, forge APIs (repeatable; default $BERTH_NOTIFICATION_URLS, comma-separated; else none: berth posts nowhere)",
      more,
    )
    .option("--notification-namespace <NS>", "berth's namespace on each cluster, where a ConfigMap remembers the notifications sent (default $BERTH_NAMESPACE, else berth-system)");
}

export function notifyFromFlags(f: NotifyFlags, cwd: string, env: NodeJS.ProcessEnv = process.env): { policy: NotifyPolicy; namespace: string } {
  const dirs = f.notificationCredentialsDir?.length ? f.notificationCredentialsDir : (env.BERTH_NOTIFICATION_CREDENTIAL_DIRS ?? "").split(":").filter(Boolean);
  const urls = f.notificationUrlAllow?.length ? f.notificationUrlAllow : (env.BERTH_NOTIFICATION_URLS ?? "").split(",").map((u) => u.trim()).filter(Boolean);
  return {
    policy: { credentialDirs: dirs.map((d) => resolve(cwd, d)), urls },
    namespace: f.notificationNamespace ?? env.BERTH_NAMESPACE ?? "berth-system",
  };
}
