import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { scalar, toYaml } from "./yaml-out.ts";

const tricky = [
  "yes", "no", "on", "Off", "y", "N", "true", "null", "~", "", " ", "7.2", "1e3", "0x1F", "0o12", "012", "1_000", "1:20",
  ".5", ".inf", "2024-01-01", "a: b", "a:", "- x", "#c", "a #c", "{{ .Release.Name }}", "*x", "&x", "!x", "%x", "@x", "`x",
  "'q'", '"q"', "multi\nline", "tab\there", "trailing ", "ünïcode", "--appendonly", "/data", "100m", "3.0.6", "registry.example.com/a:1.0",
];

describe("toYaml", () => {
  it.each(tricky)("%j reads back as the same string in YAML 1.1 and 1.2", (s) => {
    const text = toYaml({ k: s, list: [s] });
    for (const version of ["1.1", "1.2"] as const) expect(parse(text, { version })).toEqual({ k: s, list: [s] });
  });

  it("sorts keys and writes one fixed style", () => {
    expect(toYaml({ b: [1, { y: [], x: "a" }, [true]], a: {}, c: null })).toBe(
      "a: {}\nb:\n  - 1\n  - x: a\n    \"y\": []\n  - - true\nc: null\n",
    );
  });

  it("keeps plain what is unambiguous", () => {
    expect(["serve", "/data", "100m", "3.0.6", "app.kubernetes.io/name"].map(scalar)).toEqual([
      "serve", "/data", "100m", "3.0.6", "app.kubernetes.io/name",
    ]);
  });
});
