import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { checkLayers, deepMerge, fold, listLayer, type Layer } from "./layers.ts";

const origin = (file: string) => ({ file, pos: () => ({ line: 1, col: 1 }) });
const layer = (file: string, value: unknown): Layer => ({ value, origin: origin(file), path: ["v"] });

describe("fold", () => {
  it.each<[string, unknown[], unknown, string[]]>([
    ["mappings merge deeply", [{ a: { x: 1 } }, { a: { y: 2 } }], { a: { x: 1, y: 2 } }, ["app", "o1"]],
    ["lists replace", [[1, 2], [3]], [3], ["o1"]],
    ["false switches off", [{ a: 1 }, false], false, ["o1"]],
    ["an object after false starts afresh", [{ a: 1 }, false, { b: 2 }], { b: 2 }, ["o2"]],
    ["true keeps what is there", [{ a: 1 }, true], { a: 1 }, ["app", "o1"]],
    ["true alone gives the empty value", [true], {}, ["app"]],
    ["true after false turns on with nothing", [{ a: 1 }, false, true], {}, ["o2"]],
  ])("%s", (_n, values, want, from) => {
    const names = ["app", "o1", "o2"];
    const r = fold(values.map((v, i) => layer(names[i] as string, v)), () => ({}));
    expect(r.value).toEqual(want);
    expect(r.from.map((l) => l.origin.file)).toEqual(from);
  });

  it("deepMerge leaves its inputs alone", () => {
    const a = { x: { y: 1 } };
    expect(deepMerge(a, { x: { z: 2 } })).toEqual({ x: { y: 1, z: 2 } });
    expect(a).toEqual({ x: { y: 1 } });
  });
});

describe("checkLayers", () => {
  const validate = new Ajv({ allErrors: true, verbose: true }).compile({
    type: "object",
    required: ["host"],
    additionalProperties: false,
    properties: { host: { type: "string" }, min: { type: "integer", minimum: 1 } },
  });
  it.each<[string, unknown[], [string, string][]]>([
    ["valid when merged", [{ min: 2 }, { host: "a" }], []],
    ["a bad field is blamed on the layer that wrote it", [{ host: "a", min: 0 }, { min: 0 }, {}], [["o1", "v.min"]]],
    ["an earlier bad field stays with its layer", [{ host: "a", min: 0 }, { host: "b" }], [["app", "v.min"]]],
    ["an unknown field is blamed on its layer", [{ host: "a", typo: 1 }, { min: 2 }], [["app", "v.typo"]]],
    ["a missing field is blamed on the last layer", [{ min: 2 }, { min: 3 }], [["o1", "v.host"]]],
    ["off is always valid", [{ min: 0 }, false], []],
  ])("%s", (_n, values, want) => {
    const names = ["app", "o1", "o2"];
    const issues = checkLayers(validate, values.map((v, i) => layer(names[i] as string, v)), "s", () => ({}));
    expect(issues.map((i) => [i.file, i.path])).toEqual(want);
  });
});

describe("checkLayers on a list written as one object", () => {
  const validate = new Ajv({ allErrors: true, verbose: true }).compile({
    type: "array",
    items: { type: "object", required: ["name", "image"], additionalProperties: false, properties: { name: { type: "string" }, image: { type: "string" } } },
  });
  const check = (values: unknown[]) =>
    checkLayers(validate, values.map((v, i) => listLayer(layer(["app", "o1"][i] as string, v))), "s", () => []).map((i) => [i.file, i.path, i.message]);

  it.each<[string, unknown[], [string, string][]]>([
    ["one valid object", [{ name: "m", image: "m:1" }], []],
    ["a bad field in the object is placed in the object, not at item 0", [{ name: "m", image: 1 }], [["app", "v.image"]]],
    ["an unknown field too", [{ name: "m", image: "m:1", imge: "x" }], [["app", "v.imge"]]],
    ["a missing field named in the object", [{ name: "m" }], [["app", "v.image"]]],
    ["a list after it keeps list paths", [{ name: "m" }, [{ name: "n", image: 2 }]], [["o1", "v[0].image"]]],
  ])("%s", (_n, values, want) => {
    expect(check(values).map(([f, p]) => [f, p])).toEqual(want);
  });

  it("something that is neither an object nor a list is still refused as not a list", () => {
    expect(check(["m:1"])).toEqual([["app", "v", expect.stringMatching(/array/)]]);
  });
});
