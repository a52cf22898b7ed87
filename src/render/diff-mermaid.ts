// The rollout order (diff-rollout.ts) as a mermaid flowchart, which GitHub and
// Gitea draw inside a ```mermaid block: one box per application, in it its
// waves left to right (an edge says what the next wave waits for), and in each
// wave the releases by dependency level. Releases the diff adds or changes
// read `+ name` / `~ name` and are outlined. Ids are positional (a1w2g1l0),
// so no name needs escaping but the labels, which are quoted. Pure.
import type { RolloutOrder, LevelRelease, RolloutWave } from "./diff-rollout.ts";

const label = (s: string) => `"${s.replaceAll('"', "#quot;")}"`;
const SIGN = { added: "+ ", changed: "~ " } as const;
const releaseText = (r: LevelRelease) => `${r.change ? SIGN[r.change] : ""}${r.name}`;

/** What the wave waits for of the one before it: `healthy, soak 10m, approval`. */
export function waitText(app: RolloutOrder, w: RolloutWave): string {
  return [app.wait === "none" ? "no wait" : "healthy", ...(w.soak ? [`soak ${w.soak}`] : []), ...(w.approval === "manual" ? ["manual approval"] : [])].join(", ");
}

export function rolloutMermaid(apps: readonly RolloutOrder[]): string {
  const out = ["flowchart LR"];
  const changed: string[] = [];
  apps.forEach((app, ai) => {
    const a = `a${ai + 1}`;
    out.push(`  subgraph ${a}[${label(app.application)}]`, "    direction LR");
    app.waves.forEach((w, wi) => {
      const wid = `${a}w${wi + 1}`;
      // the first wave has no edge to carry its soak or approval: its title does
      const gate = wi === 0 && (w.soak || w.approval) ? ` (${waitText(app, w).replace(/^[^,]*, /, "")})` : "";
      out.push(`    subgraph ${wid}[${label(`wave ${w.index}: ${w.clusters.join(", ")}${gate}`)}]`, "      direction LR");
      w.groups.forEach((g, gi) => {
        const gid = `${wid}g${gi + 1}`;
        // one group: the wave's title names its clusters already
        const nest = w.groups.length > 1;
        const pad = nest ? "        " : "      ";
        if (nest) out.push(`      subgraph ${gid}[${label(g.clusters.join(", "))}]`, "        direction LR");
        const ids = g.levels.map((level, li) => {
          const id = `${gid}l${li}`;
          if (level.some((r) => r.change)) changed.push(id);
          return `${id}[${label(level.map(releaseText).join("<br/>"))}]`;
        });
        out.push(`${pad}${ids.join(" --> ")}`);
        if (nest) out.push("      end");
      });
      out.push("    end");
    });
    for (let i = 1; i < app.waves.length; i++) {
      out.push(`    ${a}w${i} -->|${label(waitText(app, app.waves[i] as RolloutWave))}| ${a}w${i + 1}`);
    }
    out.push("  end");
  });
  if (changed.length) out.push("  classDef changed stroke-width:3px,stroke:#d97706", `  class ${changed.join(",")} changed`);
  return `${out.join("\n")}\n`;
}
