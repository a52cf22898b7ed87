// The notifier: from each pass of the leader to deliveries on the queue.
// Pending commit statuses when a cluster's part of a pass starts (through the
// reconciler's progress sink), every other event from the pass's report and
// from drift checks. Nothing here is awaited by the loop: each hook queues
// and returns.
import type { SentLog } from "../adapters/kube/notification-log.ts";
import { notificationLog } from "../adapters/kube/notification-log.ts";
import type { KubeClient } from "../adapters/kube.ts";
import { NotifyError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { clustersFor } from "../model/select.ts";
import type { Cluster, Notification, NotificationSink, Repo } from "../model/types.ts";
import type { DriftRun, RunReport } from "../reconcile/loop.ts";
import type { ProgressSink } from "../reconcile/progress.ts";
import type { Renderer } from "../reconcile/revision.ts";
import type { GitSource } from "../reconcile/source.ts";
import type { BackoffPolicy } from "./backoff.ts";
import { finalStatuses, invalidStatuses, pendingStatus, type StatusUpdate } from "./commit-state.ts";
import { commitStatusRequest, repositoryFromSource } from "./commit-status.ts";
import { eventId, sinkFingerprint } from "./event-id.ts";
import { driftEvents, passEvents, type NotifyEvent, type PassView } from "./events.ts";
import { matches } from "./filter.ts";
import { slackText, webhookBody } from "./message.ts";
import { createDeliveryQueue, type Delivery, type DeliveryOutcome, type DeliveryQueue } from "./queue.ts";
import { post as httpPost, type Post } from "./send.ts";
import { SIGNATURE_HEADER, signBody } from "./signature.ts";
import { checkUrl, fieldAt, readSinkFile, sinkLabel, type NotifyPolicy } from "./trust.ts";

export interface NotifierOptions {
  policy: NotifyPolicy;
  /** berth's own namespace on every cluster: where what was sent is remembered. */
  namespace: string;
  /** The source berth follows: its URL names the forge repository of commit statuses, its last fetch the commit a pass applies. */
  source: Pick<GitSource, "location" | "status">;
  /** berth's client of a cluster of the revision (for the record of what was sent). */
  kube(cluster: Cluster): Pick<KubeClient, "getObject" | "applyObject" | "ensureNamespace">;
  log: Logger;
  onOutcome?: (sink: Delivery["sink"], event: string, outcome: DeliveryOutcome) => void;
  post?: Post;
  /** Each request's bound (default 10 s). */
  timeoutMs?: number;
  backoff?: BackoffPolicy;
  maxQueued?: number;
}

export interface Notifier {
  /** The renderer, telling the notifier of each revision it loads (its Notifications, before the pass on it starts). */
  observe(r: Renderer): Renderer;
  /** For ReconcilerOptions.progress: a cluster's part of a pass starting sets pending statuses. */
  progress: ProgressSink;
  /** After a leader's pass: its events, and each cluster's final status. */
  afterPass(report: RunReport): void;
  /** After a drift check: the releases that drifted. */
  afterDrift(run: DriftRun): void;
  /** Resolves when nothing is queued (or after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<void>;
  close(): void;
}

type SinkKind = Delivery["sink"];
const kindOf = (s: NotificationSink): SinkKind => ("webhook" in s ? "webhook" : "slack" in s ? "slack" : "commitStatus");

export function createNotifier(o: NotifierOptions): Notifier {
  const post = o.post ?? httpPost;
  const timeoutMs = o.timeoutMs ?? 10_000;
  /** Repositories loaded, by their directory (the pass's revision is the source's last fetch). */
  const loaded = new Map<string, Repo>();
  let latest: Repo | undefined;
  const logs = new Map<string, SentLog>();

  const queue: DeliveryQueue = createDeliveryQueue({
    log: o.log,
    ...(o.backoff ? { backoff: o.backoff } : {}),
    ...(o.maxQueued ? { maxQueued: o.maxQueued } : {}),
    onOutcome: (d, outcome) => o.onOutcome?.(d.sink, d.event, outcome),
    sentLog(cluster) {
      const doc = latest?.clusters.find((c) => c.metadata.name === cluster);
      if (!doc) throw new Error(`cluster ${cluster} is not in the revision`);
      // one per cluster and access (its writes go one at a time); a new kubeconfig in git, a new client
      const id = `${cluster}\u0000${JSON.stringify(doc.spec.kubeconfig ?? {})}`;
      const hit = logs.get(id);
      if (hit) return hit;
      const log = notificationLog(o.kube(doc), o.namespace);
      logs.set(id, log);
      return log;
    },
  });

  const notifications = (repo: Repo | undefined): Notification[] => repo?.notifications ?? [];

  function eventDelivery(n: Notification, i: number, e: NotifyEvent): Delivery {
    const sink = n.spec.sinks[i]!;
    const id = eventId(n.metadata.name, sink, e.key);
    const at = ["spec", "sinks", i];
    const fields = { notification: n.metadata.name, application: e.application, release: e.release };
    if ("webhook" in sink) {
      const label = sinkLabel("webhook", sink.webhook.url);
      return {
        id, cluster: e.cluster, sink: "webhook", label, event: e.event, fields,
        async send() {
          checkUrl(n, [...at, "webhook", "url"], sink.webhook.url, o.policy, label, "url");
          const key = await readSinkFile(n, [...at, "webhook", "secretFile"], sink.webhook.secretFile, o.policy, label);
          const body = JSON.stringify(webhookBody(id, n.metadata.name, e));
          await post(
            { url: sink.webhook.url, headers: { "content-type": "application/json", "user-agent": "berth", "x-berth-event": e.event, "x-berth-event-id": id, [SIGNATURE_HEADER]: signBody(body, key) }, body },
            { label, timeoutMs },
          );
        },
      };
    }
    if ("slack" in sink) {
      return {
        id, cluster: e.cluster, sink: "slack", label: "slack", event: e.event, fields,
        async send() {
          const url = await readSinkFile(n, [...at, "slack", "urlFile"], sink.slack.urlFile, o.policy, "slack");
          const label = sinkLabel("slack", url);
          checkUrl(n, [...at, "slack", "urlFile"], url, o.policy, label, "host");
          await post({ url, headers: { "content-type": "application/json", "user-agent": "berth" }, body: JSON.stringify({ text: slackText(e) }) }, { label, timeoutMs });
        },
      };
    }
    throw new Error("commit statuses are not events");
  }

  function statusDelivery(n: Notification, i: number, u: StatusUpdate): Delivery {
    const sink = n.spec.sinks[i]!;
    if (!("commitStatus" in sink)) throw new Error("not a commitStatus sink");
    const cs = sink.commitStatus;
    const label = sinkLabel(`commitStatus ${cs.provider}`, cs.url);
    const at = ["spec", "sinks", i];
    return {
      id: eventId(n.metadata.name, sink, u.key),
      cluster: u.cluster,
      // one context's statuses in the order they were decided: pending never lands after its success
      order: `${n.metadata.name}|${sinkFingerprint(sink)}|${u.cluster}|${u.sha}`,
      sink: "commitStatus",
      label,
      event: u.state,
      fields: { notification: n.metadata.name, revision: u.sha },
      async send() {
        const repository = cs.repository ?? repositoryFromSource(o.source.location, cs.url);
        if (!repository)
          throw new NotifyError(label, `${fieldAt(n, [...at, "commitStatus", "repository"])}: the source berth follows (${o.source.location}) names no repository on the forge; set repository: owner/name`, { retryable: false });
        const req = commitStatusRequest(cs, repository, "", u);
        checkUrl(n, [...at, "commitStatus", "url"], req.url, o.policy, label, "url");
        const token = await readSinkFile(n, [...at, "commitStatus", "tokenFile"], cs.tokenFile, o.policy, label);
        await post(commitStatusRequest(cs, repository, token, u), { label, timeoutMs });
      },
    };
  }

  const each = (repo: Repo | undefined, kind: SinkKind, f: (n: Notification, i: number) => void) => {
    for (const n of notifications(repo)) n.spec.sinks.forEach((s, i) => kindOf(s) === kind && f(n, i));
  };

  function events(repo: Repo | undefined, list: NotifyEvent[]): void {
    for (const n of notifications(repo)) {
      n.spec.sinks.forEach((s, i) => {
        if (kindOf(s) === "commitStatus") return;
        for (const e of list) if (matches(n, e)) queue.enqueue(eventDelivery(n, i, e));
      });
    }
  }

  const placedOn = (repo: Repo, cluster: string): string[] =>
    repo.applications.filter((a) => clustersFor(a, repo.clusters).some((c) => c.metadata.name === cluster)).map((a) => a.metadata.name);

  return {
    observe: (r) => ({
      ...r,
      async load(dir, opts) {
        const repo = await r.load(dir, opts);
        loaded.set(dir, repo);
        // the revisions a pass may still run on (the current and the previous)
        while (loaded.size > 4) loaded.delete(loaded.keys().next().value!);
        return repo;
      },
    }),
    progress(event) {
      if (event.kind !== "cluster-start" || event.work !== "reconcile") return;
      const rev = o.source.status().lastGood;
      const repo = rev ? loaded.get(rev.dir) : undefined;
      if (!rev || !repo) return;
      latest = repo;
      each(repo, "commitStatus", (n, i) => {
        const u = pendingStatus(n, event.cluster, rev.sha, placedOn(repo, event.cluster));
        if (u) queue.enqueue(statusDelivery(n, i, u));
      });
    },
    afterPass(report) {
      const desired = report.desired;
      if (report.invalid && report.revision && latest) {
        // the Notifications of the last valid revision tell of the commit that could not be applied
        const first = report.invalid.issues[0];
        const problem = first ? `${first.file}:${first.line}:${first.col} ${first.path ? `${first.path}: ` : ""}${first.message}` : report.invalid.message;
        const names = latest.clusters.map((c) => c.metadata.name);
        const sha = report.revision;
        each(latest, "commitStatus", (n, i) => {
          for (const u of invalidStatuses(n, sha, names, problem)) queue.enqueue(statusDelivery(n, i, u));
        });
      }
      if (!desired) return;
      latest = desired.repo;
      const rollout = report.rollout;
      const pass: PassView = { ...(report.revision ? { revision: report.revision } : {}), clusters: report.clusters, ...(rollout ? { rollout } : {}) };
      const placed = (cluster: string) => [...new Set((desired.byCluster.get(cluster) ?? []).map((r) => r.application))];
      each(desired.repo, "commitStatus", (n, i) => {
        for (const u of finalStatuses(n, pass, placed)) queue.enqueue(statusDelivery(n, i, u));
      });
      events(desired.repo, passEvents(pass));
    },
    afterDrift(run) {
      if (!latest || run.reports.length === 0) return;
      events(latest, driftEvents(run.reports, run.revision));
    },
    idle: (ms) => queue.idle(ms),
    close: () => queue.close(),
  };
}
