// The Gitea harness (test/support/gitea.ts): a private repository is created
// through the API, pushed to over HTTP with the token, and read back both
// through the API and by a clone; without the token the clone is refused.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGitea, type Gitea } from "../support/gitea.ts";
import { tempDir, writeFiles } from "../support/git-remote.ts";

describe("gitea harness", () => {
  let gitea: Gitea;
  const dirs: string[] = [];
  const temp = (prefix: string): string => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir;
  };
  beforeAll(async () => {
    gitea = await startGitea();
  });
  afterAll(async () => {
    await gitea?.stop();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it("creates a private repository, pushes to it over HTTP with the token and reads it back", async () => {
    await gitea.createRepo("harness", { private: true });
    const src = temp("berth-gitea-src-");
    writeFiles(src, { "README.md": "hello\n", "apps/web.yaml": "kind: Application\n" });
    const sha = await gitea.pushDir("harness", src);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);

    const branch = await gitea.api<{ commit: { id: string } }>("GET", `/repos/${gitea.user}/harness/branches/main`);
    expect(branch.commit.id).toBe(sha);
    const file = await gitea.api<{ content: string }>("GET", `/repos/${gitea.user}/harness/contents/apps/web.yaml?ref=main`);
    expect(Buffer.from(file.content, "base64").toString()).toBe("kind: Application\n");

    const clone = join(temp("berth-gitea-clone-"), "c");
    await execa("git", ["clone", "--quiet", gitea.cloneUrl("harness"), clone], { env: gitea.gitEnv(), extendEnv: false });
    expect(await readFile(join(clone, "README.md"), "utf8")).toBe("hello\n");
    // the token reached git through the environment only
    expect(await readFile(join(clone, ".git", "config"), "utf8")).not.toContain(gitea.token);

    const second = await gitea.pushFiles("harness", { "README.md": "bye\n" }, { branch: "dev" });
    const dev = await gitea.api<{ commit: { id: string } }>("GET", `/repos/${gitea.user}/harness/branches/dev`);
    expect(dev.commit.id).toBe(second);
    const parent = await gitea.api<{ parents: { sha: string }[] }>("GET", `/repos/${gitea.user}/harness/git/commits/${second}`);
    expect(parent.parents.map((p) => p.sha)).toEqual([sha]);
  });

  it("refuses a clone of the private repository without the token", async () => {
    const clone = join(temp("berth-gitea-clone-"), "c");
    const result = await execa("git", ["clone", "--quiet", gitea.cloneUrl("harness"), clone], {
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "" },
      reject: false,
      timeout: 30_000,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/could not read Username|Authentication failed|terminal prompts disabled/);
  });
});
