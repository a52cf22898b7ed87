import { describe, expect, it } from "vitest";
import { dnsLabelProblem, labelProblem, rangeProblem, versionProblem } from "./fields.ts";

describe("single-field rules", () => {
  it.each<[string, boolean]>([
    ["api", true],
    ["my-app-2", true],
    ["a".repeat(63), true],
    ["a".repeat(64), false],
    ["My-App", false],
    ["-api", false],
    ["api-", false],
    ["api_v2", false],
    ["", false],
  ])("dns label %j ok=%s", (name, ok) => {
    expect(dnsLabelProblem(name) === undefined).toBe(ok);
  });

  it.each<[string, boolean]>([
    ["1.2.3", true],
    ["1.2.3-rc.1", true],
    ["1.2.3+build.5", true],
    ["1.2", false],
    ["v1.2.3", false],
    ["01.2.3", false],
    ["latest", false],
  ])("version %j ok=%s", (v, ok) => {
    expect(versionProblem(v) === undefined).toBe(ok);
  });

  it.each<[string, boolean]>([
    ["^1.2.0", true],
    ["~1.2.3", true],
    [">=1.0.0 <2", true],
    ["1.x", true],
    ["*", true],
    ["1.2.3 - 2.0.0", true],
    ["", false],
    ["latest", false],
    [">=>1", false],
  ])("range %j ok=%s", (r, ok) => {
    expect(rangeProblem(r) === undefined).toBe(ok);
  });

  it.each<[string, string, boolean]>([
    ["env", "prod", true],
    ["topology.kubernetes.io/region", "eu-west-1", true],
    ["team", "", true],
    ["Env", "Prod_1", true],
    ["bad key", "x", false],
    ["UPPER.example.com/x", "y", false],
    ["env", "has space", false],
    ["env", "x".repeat(64), false],
  ])("label %j=%j ok=%s", (k, v, ok) => {
    expect(labelProblem(k, v) === undefined).toBe(ok);
  });
});
