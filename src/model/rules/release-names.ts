// A release is named `<application>-<entry>`, so two applications can render
// the same name (`a` + `b-web` and `a-b` + `web`). On one cluster berth plans
// releases by name and Helm keeps one release of a name per namespace: one of
// the two would silently vanish. Every such pair is an error at both entries.
import type { Issue } from "../../errors.ts";
import { issueAt, where } from "../issue.ts";
import { clustersFor, releaseName } from "../select.ts";
import type { Application } from "../types.ts";
import type { Rule } from "./context.ts";

interface Placed {
  app: Application;
  index: number;
  namespace: string;
  clusters: Set<string>;
}

const describeEntry = (p: Placed) => `application ${JSON.stringify(p.app.metadata.name)} entry ${JSON.stringify(p.app.spec.components[p.index]!.name)}`;

export const releaseNameRules: Rule = ({ docs }) => {
  const byName = new Map<string, Placed[]>();
  for (const app of docs.applications) {
    const clusters = new Set(clustersFor(app, docs.clusters).map((c) => c.metadata.name));
    app.spec.components.forEach((entry, index) => {
      const name = releaseName(app.metadata.name, entry.name);
      const list = byName.get(name) ?? [];
      list.push({ app, index, namespace: app.spec.namespace, clusters });
      byName.set(name, list);
    });
  }
  const out: Issue[] = [];
  for (const [name, placed] of byName) {
    for (const a of placed) {
      for (const b of placed) {
        // Same application and entry name is the duplicate-entry rule's (and
        // a duplicate Application the duplicate-document rule's) to report.
        if (a === b || a.app.metadata.name === b.app.metadata.name) continue;
        const shared = [...a.clusters].filter((c) => b.clusters.has(c)).sort();
        if (shared.length === 0) continue;
        const sameNs = a.namespace === b.namespace;
        const why = sameNs
          ? `both in namespace ${a.namespace}`
          : `in namespaces ${a.namespace} and ${b.namespace}; berth names releases uniquely per cluster`;
        out.push(
          issueAt(
            a.app.origin,
            ["spec", "components", a.index, "name"],
            `${describeEntry(a)} and ${describeEntry(b)} (${where(b.app.origin, ["spec", "components", b.index, "name"])}) both render release ${JSON.stringify(name)} on cluster${shared.length > 1 ? "s" : ""} ${shared.join(", ")} (${why}), and only one would be applied; rename one of the two entries so that \`<application>-<entry>\` differs`,
          ),
        );
      }
    }
  }
  return out;
};
