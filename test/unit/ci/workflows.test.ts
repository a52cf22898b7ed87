// examples/ci's workflows hold what the script needs and what keeps them
// honest: a pull_request trigger, the full history, actions pinned to a
// release tag, the job token with write access to comments, and every
// variable the script reads for the pull request.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PKG_ROOT } from "../render/fixture.ts";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
}

const load = (forge: string) => parse(readFileSync(join(PKG_ROOT, "examples", "ci", forge, "berth-diff.yml"), "utf8")) as Workflow;

describe.each([
  { forge: "github", token: { GITHUB_TOKEN: "${{ github.token }}" }, write: ["pull-requests"], extra: { BERTH_FORGE: "github" } },
  { forge: "gitea", token: { GITEA_TOKEN: "${{ secrets.GITEA_TOKEN }}" }, write: ["issues"], extra: { BERTH_FORGE: "gitea", BERTH_API_URL: "${{ github.server_url }}/api/v1" } },
])("examples/ci/$forge/berth-diff.yml", ({ forge, token, write, extra }) => {
  const wf = load(forge);
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);

  it("runs on pull requests with the permission to comment, and no more than read on the code", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.permissions.contents).toBe("read");
    for (const scope of write) expect(wf.permissions[scope]).toBe("write");
  });

  it("checks out the full history and pins every action to a release tag", () => {
    const checkout = steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.["fetch-depth"]).toBe(0);
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+\.\d+\.\d+$/);
    expect(steps.some((s) => s.uses?.startsWith("actions/setup-node@"))).toBe(true);
  });

  it("runs the script with the token and the pull request's number and commits from the event", () => {
    const run = steps.find((s) => s.run?.includes("berth-pr-comment.mjs"));
    expect(run?.env).toMatchObject({
      ...token,
      ...extra,
      BERTH_PR_NUMBER: "${{ github.event.pull_request.number }}",
      BERTH_BASE_SHA: "${{ github.event.pull_request.base.sha }}",
      BERTH_HEAD_SHA: "${{ github.event.pull_request.head.sha }}",
    });
  });
});
