// Every rule a schema cannot express, run over the typed documents. Pure:
// returns all issues at once, in file/line order.
import type { Issue } from "../errors.ts";
import { sortIssues } from "./issue.ts";
import { emptyBroken, makeContext, type Docs, type Rule, type ValidateOptions } from "./rules/context.ts";
import { chartRules } from "./rules/charts.ts";
import { cycleRules } from "./rules/cycles.ts";
import { duplicateRules } from "./rules/duplicates.ts";
import { fieldRules } from "./rules/fields.ts";
import { healthRules } from "./rules/health.ts";
import { notificationRules } from "./rules/notifications.ts";
import { projectTemplateRules } from "./rules/project-templates.ts";
import { projectRules } from "./rules/projects.ts";
import { referenceRules } from "./rules/references.ts";
import { releaseNameRules } from "./rules/release-names.ts";
import { valueRules } from "./rules/values.ts";
import type { Kind } from "./types.ts";

export type { ValidateOptions };

const RULES: Rule[] = [
  fieldRules,
  duplicateRules,
  healthRules,
  referenceRules,
  chartRules,
  releaseNameRules,
  valueRules,
  cycleRules,
  projectRules,
  projectTemplateRules,
  notificationRules,
];

/**
 * Issues of a repository whose documents already match their kind's schema.
 * `broken` holds names of documents that did not, so references to them are
 * not reported a second time.
 */
export function validateDocs(docs: Docs, broken: Record<Kind, Set<string>> = emptyBroken(), options: ValidateOptions = {}): Issue[] {
  const ctx = makeContext(docs, broken, options);
  return sortIssues(RULES.flatMap((rule) => rule(ctx)));
}
