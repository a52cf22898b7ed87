// The pull-request loop (issue 12 item 4) against a REAL Gitea: examples/shop
// (rolling out to prod-hk, then dev after a soak and an approval) pushed to
// main over HTTP, a branch with a new api version and a secret-looking value,
// a pull request opened through Gitea's API, then examples/ci/berth-pr-comment.mjs
// run as examples/ci/gitea/berth-diff.yml runs it — in a full clone, with the
// environment the workflow gives it, the real berth and the real helm. The
// comment is read back through the API; a second push and a second run update
// that same comment.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startGitea, type Gitea } from "../support/gitea.ts";
import { copyShopWithWaves, devOverlay, SHOP_SECRET as SECRET, shopChange } from "../support/shop-pull-request.ts";
import { PKG_ROOT } from "../unit/render/fixture.ts";

const SCRIPT = join(PKG_ROOT, "examples", "ci", "berth-pr-comment.mjs");
const { helm } = inject("binaries");

interface Comment {
  id: number;
  body: string;
  updated_at: string;
}
interface Pull {
  number: number;
  base: { sha: string };
  head: { sha: string };
}

describe("the pull-request loop on a real Gitea", () => {
  let gitea: Gitea;
  const tmp = mkdtempSync(join(tmpdir(), "berth-pr-loop-"));
  const clone = join(tmp, "clone");
  const repo = "defs";
  let pr: Pull;

  const comments = () => gitea.api<Comment[]>("GET", `/repos/${gitea.user}/${repo}/issues/${pr.number}/comments`);

  /** What the workflow's last step does, with the environment it gives (Gitea Actions sets GITEA_ACTIONS and GITHUB_REPOSITORY). */
  async function runWorkflowStep() {
    pr = await gitea.api<Pull>("GET", `/repos/${gitea.user}/${repo}/pulls/${pr.number}`);
    // actions/checkout with fetch-depth: 0 — every branch, full history
    await execa("git", ["fetch", "--quiet", "origin", "+refs/heads/*:refs/remotes/origin/*"], { cwd: clone, env: gitea.gitEnv(), extendEnv: false });
    await execa("git", ["checkout", "--quiet", "--detach", pr.head.sha], { cwd: clone });
    const r = await execa("node", [SCRIPT], {
      cwd: clone,
      reject: false,
      stripFinalNewline: false,
      extendEnv: false,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? tmp,
        GITEA_ACTIONS: "true",
        GITHUB_REPOSITORY: `${gitea.user}/${repo}`,
        GITEA_TOKEN: gitea.token,
        BERTH_FORGE: "gitea",
        BERTH_API_URL: `${gitea.url}/api/v1`,
        BERTH_PR_NUMBER: String(pr.number),
        BERTH_BASE_SHA: pr.base.sha,
        BERTH_HEAD_SHA: pr.head.sha,
        BERTH_COMMAND: `node ${join(PKG_ROOT, "bin", "berth.js")}`,
        BERTH_DIR: ".",
        BERTH_DIFF_ARGS: `--helm ${helm}`,
        BERTH_PROGRESS: "none",
      },
    });
    expect(r.stdout + r.stderr).not.toContain(gitea.token);
    return r;
  }

  beforeAll(async () => {
    gitea = await startGitea();
    await gitea.createRepo(repo, { private: true });
    const defs = join(tmp, "defs");
    copyShopWithWaves(defs);
    await gitea.pushDir(repo, defs);
    await gitea.pushFiles(repo, shopChange(), { branch: "api-3.0.7", from: "main", message: "api 3.0.7, and a token for dev" });
    pr = await gitea.api<Pull>("POST", `/repos/${gitea.user}/${repo}/pulls`, { base: "main", head: "api-3.0.7", title: "api 3.0.7" });
    await execa("git", ["clone", "--quiet", gitea.cloneUrl(repo), clone], { env: gitea.gitEnv(), extendEnv: false });
  });
  afterAll(async () => {
    await gitea?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  let first: Comment;

  it("the first run comments the diff: marker, version move, the secret masked, the rollout order as mermaid, the objects", async () => {
    const r = await runWorkflowStep();
    expect(r.stderr).toContain(`berth diff --base ${pr.base.sha} --head ${pr.head.sha}`);
    expect(r.stdout).toMatch(new RegExp(`^berth-pr-comment: created comment (\\d+) on ${gitea.user}/${repo}#${pr.number} \\(http://127\\.0\\.0\\.1:\\d+/${gitea.user}/${repo}/pulls/${pr.number}#issuecomment-\\1\\): changes\\n$`));
    expect(r.exitCode).toBe(0);

    const all = await comments();
    expect(all).toHaveLength(1);
    first = all[0]!;
    const body = first.body;
    expect(body.startsWith(`<!-- berth-diff -->\n## berth diff: \`${pr.base.sha.slice(0, 7)}\` → \`${pr.head.sha.slice(0, 7)}\`\n`)).toBe(true);
    expect(body).toContain("| ~ | `shop-api` | prod-hk | 3.0.6 → 3.0.7 (upgrade) | webservice 1.0.0 |");
    expect(body).toMatch(/\+ values\.env\.API_TOKEN: "••••••" {2}<- overlays\/shop-dev\.yaml:\d+:\d+/);
    // the env entry in the rendered Deployment too
    expect(body).toContain("+            - name: API_TOKEN\n+              value: ••••••\n");
    expect(body).not.toContain(SECRET);
    expect(body).toContain("```mermaid\nflowchart LR\n");
    expect(body).toContain('a1w1 -->|"healthy, soak 10m, manual approval"| a1w2');
    expect(body).toContain('a1w1g1l0["shop-redis"] --> a1w1g1l1["shop-db-init"] --> a1w1g1l2["~ shop-api"]');
    expect(body).toContain("#### Objects");
    expect(body).toContain("-          image: registry.example.com/shop/api:3.0.6\n+          image: registry.example.com/shop/api:3.0.7");
  });

  it("a second push and run update that same comment with the new diff: still one comment", async () => {
    await gitea.pushFiles(repo, { "overlays/shop-dev.yaml": devOverlay(`values: { env: { LOG_LEVEL: debug, API_TOKEN: ${SECRET}-2 } }\n      replicas: 2`) }, { branch: "api-3.0.7", message: "dev: 2 replicas" });
    const r = await runWorkflowStep();
    expect(r.stdout).toMatch(new RegExp(`^berth-pr-comment: updated comment ${first.id} on ${gitea.user}/${repo}#${pr.number} .*: changes\\n$`));
    expect(r.exitCode).toBe(0);

    const all = await comments();
    expect(all.map((c) => c.id)).toEqual([first.id]);
    const body = all[0]!.body;
    expect(body).not.toBe(first.body);
    expect(body).toContain(`\`${pr.head.sha.slice(0, 7)}\``);
    expect(body).toContain("! values.replicas: 1 -> 2");
    expect(body).not.toContain(SECRET);
  });
});
