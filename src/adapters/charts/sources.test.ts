// The chart sources' reasons, with a fake fetcher: a release blocked by its
// source names the repository once, whatever the fetcher's error says.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ChartSourceError } from "../../errors.ts";
import type { ChartComponent, ChartRepository } from "../../model/types.ts";
import { createChartSources, sourceProblem } from "./sources.ts";
import type { ChartFetcher } from "./types.ts";
import type { ChartVersion } from "../../model/types.ts";

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

/**
 * An OCI-like fetcher: tags per chart and a manifest digest per tag, each
 * remembered as the real fetcher does (`age < maxAgeMs`), counting the reads
 * it makes. `digests` is what the registry holds now.
 */
function rememberingFetcher(digests: Record<string, string>) {
  const reads: string[] = [];
  const seen = new Map<string, number>();
  const read = <T>(key: string, maxAgeMs: number, value: () => T): T => {
    const at = seen.get(key);
    if (at === undefined || Date.now() - at >= maxAgeMs) {
      seen.set(key, Date.now());
      reads.push(key);
    }
    return value();
  };
  const fetcher: ChartFetcher = {
    requests: { index: 0, manifest: 0, pull: 0 },
    versions: async (_a, chart, maxAgeMs) => read(`tags ${chart}`, maxAgeMs, () => [{ version: "1.0.0", url: `oci://r/${chart}` }] as ChartVersion[]),
    digest: async (_a, chart, v, maxAgeMs) => read(`manifest ${chart}:${v.version}`, maxAgeMs, () => digests[chart]!),
    pull: () => Promise.reject(new Error("no pulls in this test")),
  };
  return { fetcher, reads };
}

describe("reads after a refresh (a webhook push)", () => {
  const oci = { ...repo, metadata: { name: "lab" }, spec: { url: "oci://127.0.0.1:1/charts", insecure: true, interval: "1h" } } as ChartRepository;
  const component = (name: string) => ({ metadata: { name }, spec: { chart: { repository: "lab", name } } }) as ChartComponent;
  const identity = (name: string) => ({ name, version: "1.0.0", source: { repository: "lab", url: "" } });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("every chart's tags and every tag's manifest digest are read again once, then remembered for the interval", async () => {
    const { fetcher, reads } = rememberingFetcher({ a: "sha256:a1", b: "sha256:b1" });
    const sources = createChartSources({ fetcher, credentialDirs: [] });
    const pass = async () => {
      vi.advanceTimersByTime(5);
      for (const c of ["a", "b"]) {
        await sources.offer(component(c), oci);
        // the pin fails at the pull (the fake has none), after the digest read this test counts
        await sources.pin(identity(c), oci);
      }
    };
    await pass();
    expect(reads.splice(0)).toEqual(["tags a", "manifest a:1.0.0", "tags b", "manifest b:1.0.0"]);
    await pass();
    expect(reads.splice(0)).toEqual([]);

    vi.advanceTimersByTime(5);
    sources.refresh();
    await pass();
    expect(reads.splice(0)).toEqual(["tags a", "manifest a:1.0.0", "tags b", "manifest b:1.0.0"]);
    await pass();
    expect(reads.splice(0)).toEqual([]);

    // and at the interval, without a push
    vi.advanceTimersByTime(3_600_000);
    await pass();
    expect(reads.splice(0)).toEqual(["tags a", "manifest a:1.0.0", "tags b", "manifest b:1.0.0"]);
  });
});
