// Users' and charts' schemas compile whatever draft their `$schema` names, in
// the spellings charts use; one berth cannot read is an error, never a throw.
import { describe, expect, it } from "vitest";
import { compileUserSchema } from "./schemas.ts";
import type { JsonSchema } from "./types.ts";

const replicas = (extra: JsonSchema = {}): JsonSchema => ({ ...extra, type: "object", properties: { replicas: { type: "integer", minimum: 1 } } });

describe("compileUserSchema", () => {
  it.each([
    ["no $schema", undefined],
    ["draft-07", "http://json-schema.org/draft-07/schema#"],
    ["draft-07 over https", "https://json-schema.org/draft-07/schema#"],
    ["draft-07 without #", "https://json-schema.org/draft-07/schema"],
    ["the latest draft, as older charts write it", "http://json-schema.org/schema#"],
    ["draft-06", "http://json-schema.org/draft-06/schema#"],
    ["draft-04", "http://json-schema.org/draft-04/schema#"],
    ["2019-09", "https://json-schema.org/draft/2019-09/schema"],
    ["2020-12", "https://json-schema.org/draft/2020-12/schema"],
    ["2020-12 over http", "http://json-schema.org/draft/2020-12/schema#"],
  ])("%s: compiles, and refuses a string where an integer is wanted", (_, $schema) => {
    const got = compileUserSchema(replicas($schema ? { $schema } : {}));
    expect(got.error).toBeUndefined();
    expect(got.validate!({ replicas: 2 })).toBe(true);
    expect(got.validate!({ replicas: "two" })).toBe(false);
    expect(got.validate!.errors?.[0]).toMatchObject({ instancePath: "/replicas", keyword: "type" });
  });

  it("2020-12 keywords mean what that draft says (prefixItems)", () => {
    const got = compileUserSchema({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { pair: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }] } },
    });
    expect(got.validate!({ pair: ["a", 1] })).toBe(true);
    expect(got.validate!({ pair: ["a", "b"] })).toBe(false);
  });

  it.each([
    ["a draft-04 boolean exclusiveMinimum", { $schema: "http://json-schema.org/draft-04/schema#", type: "integer", minimum: 1, exclusiveMinimum: true }],
    ["a type that is none", { type: "whole-number" }],
  ])("%s: an error, not a throw", (_, schema) => {
    const got = compileUserSchema(schema as JsonSchema);
    expect(got.validate).toBeUndefined();
    expect(got.error).toMatch(/^is not a valid JSON Schema: /);
  });
});
