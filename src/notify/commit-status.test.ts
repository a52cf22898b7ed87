import { describe, expect, it } from "vitest";
import { commitStatusRequest, repositoryFromSource } from "./commit-status.ts";
import { SHA } from "./test-fixtures.ts";

const update = { cluster: "east", sha: SHA, state: "failure" as const, description: "shop-web failed", key: "k" };

describe("commitStatusRequest", () => {
  it("Gitea: POST /api/v1/repos/{owner}/{repo}/statuses/{sha} with `token`", () => {
    const r = commitStatusRequest({ provider: "gitea", url: "https://git.example.com/", tokenFile: "/t" }, "shop/defs", "tok", update);
    expect(r.url).toBe(`https://git.example.com/api/v1/repos/shop/defs/statuses/${SHA}`);
    expect(r.headers.authorization).toBe("token tok");
    expect(JSON.parse(r.body)).toEqual({ state: "failure", context: "berth/east", description: "shop-web failed" });
  });

  it("GitHub: the API root, a Bearer token", () => {
    const r = commitStatusRequest({ provider: "github", url: "https://api.github.com", tokenFile: "/t" }, "shop/defs", "tok", { ...update, state: "pending" });
    expect(r.url).toBe(`https://api.github.com/repos/shop/defs/statuses/${SHA}`);
    expect(r.headers.authorization).toBe("Bearer tok");
    expect(JSON.parse(r.body)).toMatchObject({ state: "pending", context: "berth/east" });
  });

  it.each([
    ["pending", "running"],
    ["success", "success"],
    ["failure", "failed"],
  ] as const)("GitLab: POST /api/v4/projects/:id/statuses/:sha, %s as %s, PRIVATE-TOKEN", (state, gitlab) => {
    const r = commitStatusRequest({ provider: "gitlab", url: "https://gitlab.example.com", tokenFile: "/t" }, "group/sub/defs", "tok", { ...update, state });
    expect(r.url).toBe(`https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fdefs/statuses/${SHA}`);
    expect(r.headers["private-token"]).toBe("tok");
    expect(JSON.parse(r.body)).toMatchObject({ state: gitlab, name: "berth/east" });
  });
});

describe("repositoryFromSource", () => {
  it.each([
    ["https://git.example.com/shop/defs.git", "https://git.example.com", "shop/defs"],
    ["https://***@git.example.com/shop/defs", "https://git.example.com", "shop/defs"],
    ["https://example.com/gitea/shop/defs.git", "https://example.com/gitea", "shop/defs"],
    ["git@github.com:shop/defs.git", "https://api.github.com", "shop/defs"],
    ["ssh://git@gitlab.example.com/group/sub/defs.git", "https://gitlab.example.com", "group/sub/defs"],
    ["file:///srv/defs.git", "https://git.example.com", undefined],
    ["/srv/defs", "https://git.example.com", undefined],
  ])("%s on %s -> %s", (source, forge, want) => {
    expect(repositoryFromSource(source, forge)).toBe(want);
  });
});
