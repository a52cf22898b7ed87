// The chart sources' reasons, with a fake fetcher: a release blocked by its
// source names the repository once, whatever the fetcher's error says.
import { describe, expect, it } from "vitest";
import { ChartSourceError } from "../../errors.ts";
import type { ChartComponent, ChartRepository } from "../../model/types.ts";
import { createChartSources, sourceProblem } from "./sources.ts";
import type { ChartFetcher } from "./types.ts";

const repo = { apiVersion: "berth.dev/v1alpha1", kind: "ChartRepository", metadata: { name: "flaky" }, spec: { url: "http://127.0.0.1:1" } } as ChartRepository;
const chart = { metadata: { name: "metrics" }, spec: { chart: { repository: "flaky", name: "metrics-server" } } } as ChartComponent;

function failing(err: Error): ChartFetcher {
  return {
    requests: { index: 0, manifest: 0, pull: 0 },
    versions: () => Promise.reject(err),
    digest: () => Promise.reject(err),
    pull: () => Promise.reject(err),
  };
}

describe("sourceProblem", () => {
  it.each([
    ["a ChartSourceError of that repository", new ChartSourceError("flaky", "cannot read x/index.yaml: ECONNREFUSED"), "cannot read x/index.yaml: ECONNREFUSED"],
    ["a ChartSourceError of another repository", new ChartSourceError("other", "HTTP 503"), "ChartRepository other: HTTP 503"],
    ["any other error", new Error("ChartRepository flaky: said by someone else"), "ChartRepository flaky: said by someone else"],
  ])("%s", (_, err, want) => {
    expect(sourceProblem(err, "flaky")).toBe(want);
  });
});

describe("createChartSources", () => {
  const err = new ChartSourceError("flaky", "cannot read http://127.0.0.1:1/index.yaml: connect ECONNREFUSED 127.0.0.1:1");

  it("an unreadable index: the reason names the chart and the repository once", async () => {
    const sources = createChartSources({ fetcher: failing(err), credentialDirs: [] });
    expect(await sources.offer(chart, repo)).toEqual({
      unavailable: "cannot read chart metrics-server from ChartRepository flaky: cannot read http://127.0.0.1:1/index.yaml: connect ECONNREFUSED 127.0.0.1:1",
    });
  });

  it("an archive that cannot be pulled: the same", async () => {
    const sources = createChartSources({ fetcher: failing(err), credentialDirs: [] });
    expect(await sources.pin({ name: "metrics-server", version: "3.12.2", source: { repository: "flaky", url: "" } }, repo)).toEqual({
      unavailable: "cannot pull chart metrics-server 3.12.2 from ChartRepository flaky: cannot read http://127.0.0.1:1/index.yaml: connect ECONNREFUSED 127.0.0.1:1",
    });
  });
});
