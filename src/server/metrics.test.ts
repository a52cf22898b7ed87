import { describe, expect, it } from "vitest";
import { runReport, SHA1, SHA2, status } from "../../test/unit/helpers/serve-fixtures.ts";
import { createMetrics } from "./metrics.ts";

describe("metrics", () => {
  it("exposes what runs, helm calls and drift told", async () => {
    const m = createMetrics();
    m.observeRun(runReport());
    m.observeRun(runReport({ revision: SHA2, clusters: [] }));
    m.observeRun(runReport({ revision: undefined, sourceError: "git fetch: could not read", clusters: [] }));
    m.observeStatus({ ...status(SHA1), clusters: [...status(SHA1).clusters, { name: "north", reachable: false, paused: false, releases: [] }] });
    m.onHelmCall("east", "upgrade", 1500, true);
    m.onHelmCall("east", "upgrade", 500, false);
    m.setDrift("east", "shop-api", 2);
    m.setLeader(false);
    const { body, contentType } = await m.render();
    expect(contentType).toMatch(/^text\/plain/);
    const expected = [
      'berth_reconcile_duration_seconds_count{cluster="east"} 1',
      'berth_reconcile_duration_seconds_sum{cluster="east"} 1.5',
      'berth_reconcile_duration_seconds_sum{cluster="west"} 0.7',
      'berth_actions_total{cluster="east",action="install",result="succeeded"} 1',
      'berth_actions_total{cluster="west",action="upgrade",result="failed"} 1',
      'berth_reconcile_runs_total{result="failed"} 1',
      'berth_reconcile_runs_total{result="ok"} 1',
      'berth_reconcile_runs_total{result="source_error"} 1',
      `berth_last_attempted_revision_info{revision="${SHA2}"} 1`,
      `berth_last_applied_revision_info{revision="${SHA1}"} 1`,
      "berth_git_fetch_errors_total 1",
      'berth_helm_calls_total{cluster="east",verb="upgrade",result="ok"} 1',
      'berth_helm_calls_total{cluster="east",verb="upgrade",result="failed"} 1',
      'berth_helm_call_duration_seconds_count{cluster="east",verb="upgrade"} 2',
      'berth_helm_call_duration_seconds_sum{cluster="east",verb="upgrade"} 2',
      'berth_drift_fields{cluster="east",release="shop-api"} 2',
      "berth_leader 0",
      'berth_cluster_reachable{cluster="east"} 1',
      'berth_cluster_reachable{cluster="north"} 0',
      'berth_releases{cluster="east",health="healthy"} 2',
      'berth_releases{cluster="west",health="unhealthy"} 1',
      'berth_releases{cluster="west",health="healthy"} 0',
    ];
    for (const line of expected) expect(body.split("\n")).toContain(line);
    // One revision series each: the previous revision is gone.
    expect(body).not.toContain(`berth_last_attempted_revision_info{revision="${SHA1}"}`);
  });

  it("counts an invalid revision without touching the applied one", async () => {
    const m = createMetrics();
    m.observeStatus(status(SHA1));
    m.observeRun(runReport({ revision: SHA2, clusters: [], invalid: Object.assign(new Error("bad"), { issues: [] }) as never }));
    const { body } = await m.render();
    expect(body).toContain("berth_invalid_revisions_total 1");
    expect(body).toContain(`berth_last_applied_revision_info{revision="${SHA1}"} 1`);
    expect(body).toContain(`berth_last_attempted_revision_info{revision="${SHA2}"} 1`);
  });

  it("keeps registries apart and can add process metrics", async () => {
    const a = createMetrics({ processMetrics: true });
    const b = createMetrics();
    a.onHelmCall("east", "list", 1, true);
    expect((await a.render()).body).toContain("berth_process_cpu_seconds_total");
    expect((await b.render()).body).not.toContain('verb="list"');
  });
});

describe("metrics of a sharded replica", () => {
  it("labels the shards it holds, the clusters it acts for, and each cluster's applied revision with the replica that applied it", async () => {
    const m = createMetrics();
    const st = status(SHA1);
    const [east, west] = st.clusters;
    m.observeStatus({ ...st, clusters: [{ ...east!, shard: 0, lastAppliedRevision: SHA1, appliedBy: "berth-0" }, { ...west!, shard: 2, lastAppliedRevision: SHA2, appliedBy: "berth-1" }] });
    m.setShards(3, [0], [{ name: "east", shard: 0 }, { name: "west", shard: 2 }]);
    const lines = (await m.render()).body.split("\n");
    for (const line of [
      'berth_shard_held{shard="0"} 1',
      'berth_shard_held{shard="1"} 0',
      'berth_shard_held{shard="2"} 0',
      'berth_cluster_acting{cluster="east",shard="0"} 1',
      'berth_cluster_acting{cluster="west",shard="2"} 0',
      `berth_cluster_applied_revision_info{cluster="east",revision="${SHA1}",replica="berth-0"} 1`,
      `berth_cluster_applied_revision_info{cluster="west",revision="${SHA2}",replica="berth-1"} 1`,
    ])
      expect(lines).toContain(line);
    // a shard handed over: its series says 0 at once
    m.setShards(3, [], [{ name: "east", shard: 0 }]);
    const after = (await m.render()).body.split("\n");
    expect(after).toContain('berth_shard_held{shard="0"} 0');
    expect(after).toContain('berth_cluster_acting{cluster="east",shard="0"} 0');
  });
});
