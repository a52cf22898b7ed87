import { describe, expect, it } from "vitest";
import { movedBy } from "./diff-sources.ts";
import type { ExplainedRange } from "./explain.ts";

const r = (kind: "Application" | "Overlay", name: string, range: string, effect: ExplainedRange["effect"] = "none"): ExplainedRange => ({
  range,
  effect,
  source: { kind, name, at: `${name}.yaml:9:16`, field: kind === "Overlay" ? "spec.components.api.version" : "spec.components[0].version" },
});

describe("movedBy: what moved a release's version", () => {
  it.each([
    {
      name: "an overlay's range edited",
      base: [r("Application", "app", "^1.0.0"), r("Overlay", "prod", "~1.0.0", "narrowed")],
      head: [r("Application", "app", "^1.0.0"), r("Overlay", "prod", "~1.1.0")],
      want: [['"~1.1.0"', "Overlay", "changed", "~1.0.0"]],
    },
    {
      name: "an overlay's range added",
      base: [r("Application", "app", "^1.0.0")],
      head: [r("Application", "app", "^1.0.0"), r("Overlay", "prod", "1.0.0", "narrowed")],
      want: [['"1.0.0"', "Overlay", "added", undefined]],
    },
    {
      name: "an overlay's range removed",
      base: [r("Application", "app", "^1.0.0"), r("Overlay", "prod", "~1.0.0", "narrowed")],
      head: [r("Application", "app", "^1.0.0")],
      want: [['"~1.0.0"', "Overlay", "removed", undefined]],
    },
    {
      name: "no range edited (a new version inside them): every range of the head",
      base: [r("Application", "app", "^1.0.0"), r("Overlay", "prod", "~1.0.0")],
      head: [r("Application", "app", "^1.0.0"), r("Overlay", "prod", "~1.0.0")],
      want: [['"^1.0.0"', "Application", undefined, undefined], ['"~1.0.0"', "Overlay", undefined, undefined]],
    },
  ])("$name", ({ base, head, want }) => {
    expect(movedBy(base, head).map((x) => [JSON.stringify(x.range), x.source.kind, x.change, x.was])).toEqual(want);
  });
});
