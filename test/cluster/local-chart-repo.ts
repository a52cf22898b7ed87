/**
 * The chart repository examples/platform's ChartRepository `sigs` points at:
 * the harness's packaged public charts (charts.ts: metrics-server 3.12.2 and
 * 3.13.1, kyverno, gatekeeper) as a Helm HTTP repository on a fixed loopback
 * port, 8879 (where Helm 2's `helm serve` listened). `npm run demo` starts it
 * for its run; `npm run cluster -- charts` serves it until Ctrl-C.
 *
 *   const repo = await startLocalChartRepo(binaries);   // repo.url === LOCAL_CHART_URL
 *   await repo.stop();                                  // a no-op when it was already served
 */
import { type Binaries } from "./binaries.ts";
import { ensureCharts, startChartRepo, type ChartRepo } from "./charts.ts";

export const LOCAL_CHART_PORT = 8879;
export const LOCAL_CHART_URL = `http://127.0.0.1:${LOCAL_CHART_PORT}`;

export interface LocalChartRepo extends ChartRepo {
  /** Another process (`npm run cluster -- charts`) already served it; stop() leaves that one alone. */
  reused: boolean;
}

/** Whether a Helm repository holding metrics-server already answers at `url`. */
async function servedAt(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/index.yaml`, { signal: AbortSignal.timeout(2_000) });
    return res.ok && (await res.text()).includes("metrics-server");
  } catch {
    return false;
  }
}

export async function startLocalChartRepo(binaries: Pick<Binaries, "helm">, port = LOCAL_CHART_PORT): Promise<LocalChartRepo> {
  const url = `http://127.0.0.1:${port}`;
  const charts = await ensureCharts(binaries);
  try {
    return { ...(await startChartRepo({ helm: binaries.helm, charts: Object.values(charts), port })), reused: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    if (await servedAt(url)) return { url, requests: [], stop: async () => undefined, reused: true };
    throw new Error(`port ${port} on 127.0.0.1 is taken by something that is not a chart repository; stop it (examples/platform's ChartRepository expects ${url})`);
  }
}
