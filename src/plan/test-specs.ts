// Small builders of ReleaseSpec for the plan tests (kept out of the tests so several share them).
import type { ReleaseSpec } from "../model/types.ts";

export function spec(name: string, over: Partial<ReleaseSpec> = {}): ReleaseSpec {
  const [application = "app", entry = name] = name.split("-");
  return {
    name,
    cluster: "east",
    application,
    entry,
    namespace: application,
    chart: { name: "webservice", version: "1.0.0" },
    component: { name: entry, version: "1.0.0" },
    values: { replicas: 1 },
    dependsOn: [],
    requires: [],
    upgrades: [],
    workloadKind: "Deployment",
    ...over,
  };
}
