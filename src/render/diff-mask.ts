// A RenderDiff with the values of secret-looking keys masked (secret-mask.ts):
// changed values, release metadata, the upgrade steps a move runs and the
// edits of declared steps. The objects of the manifests are masked where they
// are compared (manifest-diff.ts), since their patch is text by then. Chart
// files are not: they are berth's templates and the definitions' defaults,
// not any release's values. Pure.
import type { KeyChange, ReleaseChange, RenderDiff, StepRun } from "./diff.ts";
import { maskPair, maskValue, pathLooksSecret } from "./secret-mask.ts";

export function maskKeyChange(k: KeyChange): KeyChange {
  const [from, to] = maskPair(k.from, k.to, { secret: pathLooksSecret(k.path) });
  return { ...k, ...(k.from !== undefined ? { from } : {}), ...(k.to !== undefined ? { to } : {}) };
}

function maskStep(s: StepRun): StepRun {
  return { ...s, step: maskValue(s.step) as StepRun["step"] };
}

function maskRelease(r: ReleaseChange): ReleaseChange {
  return {
    ...r,
    values: r.values.map(maskKeyChange),
    release: r.release.map(maskKeyChange),
    steps: r.steps.map(maskStep),
    upgrades: r.upgrades.map((u) => ({ ...u, fields: u.fields.map(maskKeyChange) })),
  };
}

export function maskDiff(d: RenderDiff): RenderDiff {
  return { ...d, releases: d.releases.map(maskRelease) };
}
