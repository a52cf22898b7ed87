import type { HelmClient } from "../adapters/helm.ts";
import type { KubeClient } from "../adapters/kube.ts";
import type { Logger } from "../log.ts";

/** What an action needs to act on one cluster: adapters in, nothing global. */
export interface ActionContext {
  cluster: string;
  commit: string;
  kube: KubeClient;
  helm: HelmClient;
  log: Logger;
  helmTimeoutMs: number;
  stepTimeoutMs: number;
  maxHistory?: number;
  /** Directory of a rendered chart, written on first use. */
  chartDir(chart: { name: string; version: string }): Promise<string>;
}
