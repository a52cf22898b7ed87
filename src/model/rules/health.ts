// Workloads whose definition sets healthRequired need liveness, readiness and
// startup probes; and the probes a Component gives must all differ (a copy of
// one probe in another slot hides a real check).
import type { Issue } from "../../errors.ts";
import { issueAt } from "../issue.ts";
import { canonical } from "../canonical.ts";
import type { Rule } from "./context.ts";

const PROBES = ["liveness", "readiness", "startup"] as const;
const EXAMPLE_PATH = { liveness: "/livez", readiness: "/readyz", startup: "/startz" };

export const healthRules: Rule = ({ docs, workloads }) => {
  const out: Issue[] = [];
  for (const c of docs.components) {
    const health = c.spec.container.health ?? {};
    const def = workloads.get(c.spec.workload);
    if (def?.spec.healthRequired) {
      const missing = PROBES.filter((p) => health[p] === undefined);
      if (missing.length)
        out.push(issueAt(c.origin, ["spec", "container", "health", ...(c.spec.container.health ? [missing[0] as string] : [])],
          `workload ${JSON.stringify(c.spec.workload)} requires liveness, readiness and startup probes; missing: ${missing.join(", ")} (e.g. ${missing[0]}: { httpGet: { path: ${EXAMPLE_PATH[missing[0] as (typeof PROBES)[number]]}, port: http } })`));
    }
    for (let i = 0; i < PROBES.length; i++)
      for (let j = i + 1; j < PROBES.length; j++) {
        const a = PROBES[i] as (typeof PROBES)[number];
        const b = PROBES[j] as (typeof PROBES)[number];
        if (health[a] !== undefined && health[b] !== undefined && canonical(health[a]) === canonical(health[b]))
          out.push(issueAt(c.origin, ["spec", "container", "health", b], `the ${b} probe is identical to the ${a} probe; the three probes must differ (e.g. separate endpoints /livez, /readyz, /startz, or a different failureThreshold for startup)`));
      }
  }
  return out;
};
