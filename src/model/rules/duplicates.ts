// Two documents of one kind with one name (Components: name and version) are
// an error; the message names both places. Entry names inside an application
// must be unique too.
import semver from "semver";
import type { Issue } from "../../errors.ts";
import { issueAt, where } from "../issue.ts";
import type { Doc, Kind } from "../types.ts";
import type { Rule } from "./context.ts";

type AnyDoc = Doc<Kind, unknown>;

function dupes(docs: readonly AnyDoc[], key: (d: AnyDoc) => string, label: (d: AnyDoc) => string): Issue[] {
  const first = new Map<string, AnyDoc>();
  const out: Issue[] = [];
  for (const d of docs) {
    const k = key(d);
    const prev = first.get(k);
    if (!prev) first.set(k, d);
    else
      out.push(issueAt(d.origin, ["metadata", "name"], `duplicate ${d.kind} ${label(d)}: also defined at ${where(prev.origin, ["metadata", "name"])}; rename or remove one of them`));
  }
  return out;
}

export const duplicateRules: Rule = ({ docs }) => {
  const name = (d: AnyDoc) => d.metadata.name;
  const quoted = (d: AnyDoc) => JSON.stringify(d.metadata.name);
  const out = [
    ...dupes(docs.applications, name, quoted),
    ...dupes(docs.overlays, name, quoted),
    ...dupes(docs.clusters, name, quoted),
    // user definitions only: a user definition replacing a built-in is an override, not a duplicate
    ...dupes(docs.workloads.filter((w) => !w.builtin), name, quoted),
    ...dupes(docs.traits.filter((t) => !t.builtin), name, quoted),
    ...dupes(
      docs.components,
      (d) => {
        const v = (d.spec as { version: string }).version;
        return `${d.metadata.name}@${semver.valid(v) ?? v}`;
      },
      (d) => `${quoted(d)} version ${(d.spec as { version: string }).version}`,
    ),
    ...dupes(docs.chartRepositories, name, quoted),
    // a chart Component is one document for all its versions: its name is taken by it alone
    ...dupes([...docs.charts, ...docs.components.filter((c) => docs.charts.some((h) => h.metadata.name === c.metadata.name))], name, (d) => `${quoted(d)} (a chart Component's name cannot be shared with another Component)`),
  ];
  for (const app of docs.applications) {
    const seen = new Map<string, number>();
    app.spec.components.forEach((e, i) => {
      const j = seen.get(e.name);
      if (j === undefined) seen.set(e.name, i);
      else
        out.push(issueAt(app.origin, ["spec", "components", i, "name"], `duplicate entry name ${JSON.stringify(e.name)}: also used by spec.components[${j}] at ${where(app.origin, ["spec", "components", j, "name"])}`));
    });
  }
  return out;
};
