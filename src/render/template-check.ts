// What `berth validate` checks of the definitions' templates: every template
// file compiles, and every chart renders — the same generateChart that
// `berth render` and the reconciler run, so a template that passes here
// cannot crash them. Pure: the template text is already in each definition.
import { ValidationError, type Issue } from "../errors.ts";
import { sortIssues } from "../model/issue.ts";
import type { TraitDefinition, WorkloadDefinition } from "../model/types.ts";
import { generateChart, templateIssue } from "./chart.ts";
import { checkPlatformTemplate, TemplateError } from "./hbs.ts";

type Def = WorkloadDefinition | TraitDefinition;

// a template that could not be read already has its issue (missing, symlink leading out…)
const loaded = (d: Def): boolean => d.spec.templates.every((ref) => d.files[ref] !== undefined);

export function templateIssues(workloads: readonly WorkloadDefinition[], traits: readonly TraitDefinition[]): Issue[] {
  const issues: Issue[] = [];
  // compile every file, including a trait that applies to no workload and so is never rendered
  for (const def of [...workloads, ...traits]) {
    for (const ref of def.spec.templates) {
      const text = def.files[ref];
      if (text === undefined) continue;
      try {
        checkPlatformTemplate(text);
      } catch (e) {
        if (!(e instanceof TemplateError)) throw e;
        issues.push(templateIssue(def, ref, e));
      }
    }
  }
  // the very list render passes when nothing is missing, so render reuses these charts
  const usable = traits.every(loaded) ? traits : traits.filter(loaded);
  for (const w of workloads.filter(loaded)) {
    try {
      generateChart(w, usable);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      issues.push(...e.issues);
    }
  }
  return sortIssues(issues);
}
