// berth told to stop (SIGTERM) during a pass: no new helm action starts, a
// running helm is told to stop (adapters/helm.ts sends it SIGTERM; helm cancels
// and marks its release failed), and a revision a stopped call still left
// pending-* is marked failed here, so the next start finds no release locked.
import type { HelmClient } from "../adapters/helm.ts";
import type { KubeClient } from "../adapters/kube.ts";
import { HelmError } from "../errors.ts";
import type { Logger } from "../log.ts";

interface Target {
  release: string;
  namespace: string;
}

export function stoppableHelm(helm: HelmClient, kube: KubeClient, signal: AbortSignal, log: Logger): HelmClient {
  const guard =
    <O extends Target>(verb: string, f: (o: O) => Promise<void>) =>
    async (o: O): Promise<void> => {
      if (signal.aborted) throw new HelmError(`helm ${verb} of ${o.namespace}/${o.release} not started: berth is shutting down`, { args: [verb, o.release], stderr: "" });
      try {
        await f(o);
      } catch (err) {
        if (signal.aborted) await failPending(kube, o, log);
        throw err;
      }
    };
  // Delegation keeps `calls` and any read-only method (template) as they are.
  const wrapped = Object.create(helm) as HelmClient;
  return Object.assign(wrapped, {
    upgradeInstall: guard("upgrade", (o: Parameters<HelmClient["upgradeInstall"]>[0]) => helm.upgradeInstall(o)),
    rollback: guard("rollback", (o: Parameters<HelmClient["rollback"]>[0]) => helm.rollback(o)),
    uninstall: guard("uninstall", (o: Parameters<HelmClient["uninstall"]>[0]) => helm.uninstall(o)),
  });
}

async function failPending(kube: KubeClient, t: Target, log: Logger): Promise<void> {
  try {
    const last = (await kube.getRelease(t.namespace, t.release))?.revisions.at(-1);
    if (!last?.status.startsWith("pending")) return;
    await kube.markRevisionFailed(t.namespace, t.release, last.revision);
    log.warn({ release: t.release, namespace: t.namespace, revision: last.revision, was: last.status }, "stopping: marked the revision helm left pending as failed");
  } catch (err) {
    // The next pass recovers a pending release too (unlock); stopping must not wait on it.
    log.warn({ release: t.release, err: (err as Error).message }, "stopping: could not mark the pending revision failed");
  }
}
