import { describe, expect, it } from "vitest";
import { ValidationError, type Issue } from "../errors.ts";
import type { TraitDefinition, WorkloadDefinition } from "../model/types.ts";
import { doc } from "../../test/unit/render/fixture.ts";
import { chartFileNames, generateChart } from "./chart.ts";

function workload(templates: string[]): WorkloadDefinition {
  const files = Object.fromEntries(templates.map((t) => [t, `kind: ConfigMap\n# from ${t}\n`]));
  return { ...doc("WorkloadDefinition", "web", { version: "1.0.0", workloadKind: "Deployment", templates }), builtin: false, files } as WorkloadDefinition;
}

function trait(templates: string[]): TraitDefinition {
  const files = Object.fromEntries(templates.map((t) => [t, `kind: ConfigMap\n# from ${t}\n`]));
  return { ...doc("TraitDefinition", "extra", { version: "1.0.0", appliesTo: ["*"], schema: { type: "object" }, templates }), builtin: false, files } as TraitDefinition;
}

describe("chart file names of a definition's templates", () => {
  it.each([
    { name: "distinct base names keep them", refs: ["a/cm.yaml", "b/svc.yaml"], want: ["cm.yaml", "svc.yaml"] },
    { name: ".hbs is dropped", refs: ["../../charts-template/common/deployment.yaml.hbs"], want: ["deployment.yaml"] },
    { name: "a shared base name folds the folders in", refs: ["a/cm.yaml", "b/cm.yaml"], want: ["a-cm.yaml", "b-cm.yaml"] },
    { name: "parent segments are left out", refs: ["../x/cm.yaml", "cm.yaml"], want: ["x-cm.yaml", "cm.yaml"] },
    { name: "a partial stays a partial", refs: ["a/_h.tpl", "b/_h.tpl"], want: ["_a-h.tpl", "_b-h.tpl"] },
    { name: "only the clashing ones change", refs: ["a/cm.yaml", "b/cm.yaml", "c/svc.yaml"], want: ["a-cm.yaml", "b-cm.yaml", "svc.yaml"] },
  ])("$name", ({ refs, want }) => {
    const issues: Issue[] = [];
    expect([...chartFileNames(workload(refs), issues).values()]).toEqual(want);
    expect(issues).toEqual([]);
  });

  it.each([
    { name: "same folder, one with .hbs", refs: ["a/cm.yaml", "a/cm.yaml.hbs"], index: 1, message: /template "a\/cm.yaml.hbs" would be written to the chart as a-cm.yaml, the name of template "a\/cm.yaml" \(spec.templates\[0\]\); rename/ },
    { name: "folded name equal to a plain one", refs: ["a-cm.yaml", "a/cm.yaml", "b/cm.yaml"], index: 1, message: /as a-cm.yaml, the name of template "a-cm.yaml"/ },
  ])("refuses names that still collide: $name", ({ refs, index, message }) => {
    const issues: Issue[] = [];
    chartFileNames(workload(refs), issues);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(`spec.templates[${index}]`);
    expect(issues[0]?.message).toMatch(message);
  });

  it("keeps both templates of a workload and of a trait in the chart", () => {
    const chart = generateChart(workload(["a/cm.yaml", "b/cm.yaml"]), [trait(["x/cm.yaml", "y/cm.yaml"])]);
    const names = Object.keys(chart.files).filter((f) => f.startsWith("templates/"));
    expect(names).toEqual(["templates/a-cm.yaml", "templates/b-cm.yaml", "templates/traits/extra/x-cm.yaml", "templates/traits/extra/y-cm.yaml"]);
    expect(chart.files["templates/b-cm.yaml"]).toContain("# from b/cm.yaml");
    expect(chart.files["templates/traits/extra/x-cm.yaml"]).toContain("# from x/cm.yaml");
  });

  it("a collision that remains fails the chart with a ValidationError", () => {
    expect(() => generateChart(workload(["a/cm.yaml", "a/cm.yaml.hbs"]), [])).toThrow(ValidationError);
  });
});
