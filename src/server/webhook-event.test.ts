import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { claimedProvider, decide, deliveryId, eventName, type Followed, type Provider } from "./webhook-event.ts";

// GitHub's own example payloads (@octokit/webhooks-examples, pinned).
type Example = { name: string; examples: Array<Record<string, unknown> & { ref?: string; deleted?: boolean }> };
const github = createRequire(import.meta.url)("@octokit/webhooks-examples") as Example[];
const examples = (name: string) => github.find((d) => d.name === name)!.examples;
const pushes = examples("push");
const branchPush = pushes.find((p) => p.ref === "refs/heads/master" && !p.deleted)!;
const tagPush = pushes.find((p) => p.ref === "refs/tags/simple-tag" && !p.deleted)!;
const tagDelete = pushes.find((p) => p.ref === "refs/tags/simple-tag" && p.deleted)!;
const body = (payload: unknown) => Buffer.from(JSON.stringify(payload));

// Gitea 1.27 and GitLab push payloads, as those forges send them (abridged to the fields around ref).
const giteaPush = (ref: string, defaultBranch = "main") => ({
  ref,
  before: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
  after: "a3f1c2e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3",
  compare_url: "http://127.0.0.1:3000/berth/defs/compare/4b825dc...a3f1c2e",
  commits: [{ id: "a3f1c2e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3", message: "web 1.1.0\n" }],
  total_commits: 1,
  repository: { id: 1, name: "defs", full_name: "berth/defs", private: true, default_branch: defaultBranch },
  pusher: { login: "berth" },
  sender: { login: "berth" },
});
const gitlabPush = (kind: "push" | "tag_push", ref: string, after = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7") => ({
  object_kind: kind,
  event_name: kind,
  before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
  after,
  ref,
  checkout_sha: after,
  project: { id: 15, name: "Diaspora", default_branch: "master", path_with_namespace: "mike/diaspora" },
  repository: { name: "Diaspora", url: "git@example.com:mike/diaspora.git", homepage: "http://example.com/mike/diaspora" },
  commits: [],
  total_commits_count: 0,
});

const GH = (event: string) => ({ "x-github-event": event, "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
const GT = (event: string) => ({ "x-gitea-event": event, "x-gitea-delivery": "0c6e7e4c-2c2b-4d61-9d37-7a5a0c1c4e2a", "x-github-event": event });
const GL = (event: string) => ({ "x-gitlab-event": event, "x-gitlab-event-uuid": "13792a34-cac6-4fda-95a8-c58e00a3954e" });

describe("decide: which verified deliveries start a pass", () => {
  it.each<[string, Provider, Record<string, string>, unknown, Followed, string]>([
    ["GitHub: a push to the default branch berth follows", "github", GH("push"), branchPush, {}, "refs/heads/master"],
    ["GitHub: a push to the branch named by --ref", "github", GH("push"), branchPush, { ref: "master" }, "refs/heads/master"],
    ["GitHub: a tag push when berth follows that tag", "github", GH("push"), tagPush, { ref: "simple-tag" }, "refs/tags/simple-tag"],
    ["GitHub: --ref given as a full ref name", "github", GH("push"), branchPush, { ref: "refs/heads/master" }, "refs/heads/master"],
    ["Gitea: a push to its default branch", "gitea", GT("push"), giteaPush("refs/heads/main"), {}, "refs/heads/main"],
    ["Gitea: a push to another default branch named in the payload", "gitea", GT("push"), giteaPush("refs/heads/trunk", "trunk"), {}, "refs/heads/trunk"],
    ["GitLab: a Push Hook to the project's default branch", "gitlab", GL("Push Hook"), gitlabPush("push", "refs/heads/master"), {}, "refs/heads/master"],
    ["GitLab: a Tag Push Hook of the followed tag", "gitlab", GL("Tag Push Hook"), gitlabPush("tag_push", "refs/tags/v1.0.0"), { ref: "v1.0.0" }, "refs/tags/v1.0.0"],
  ])("acts on %s", (_what, provider, headers, payload, followed, ref) => {
    expect(decide(headers, provider, body(payload), followed)).toEqual({ act: true, ref });
  });

  it("reads GitHub's form-encoded payload too", () => {
    const form = Buffer.from(new URLSearchParams({ payload: JSON.stringify(branchPush) }).toString());
    expect(decide(GH("push"), "github", form, {})).toEqual({ act: true, ref: "refs/heads/master" });
  });

  it.each<[string, Provider, Record<string, string>, unknown, Followed, string | RegExp]>([
    ["GitHub: an issues event", "github", GH("issues"), examples("issues")[0], {}, "event issues is not a push; berth acts on push events only"],
    ["GitHub: a star", "github", GH("star"), examples("star")[0], {}, "event star is not a push; berth acts on push events only"],
    ["GitHub: a pull request", "github", GH("pull_request"), examples("pull_request")[0], {}, /^event pull_request is not a push/],
    ["Gitea: an issue event", "gitea", GT("issues"), { action: "opened", issue: { number: 1 } }, {}, "event issues is not a push; berth acts on push events only"],
    ["GitLab: an Issue Hook", "gitlab", GL("Issue Hook"), { object_kind: "issue" }, {}, "event Issue Hook is not a push; berth acts on Push Hook and Tag Push Hook events only"],
    ["no event header at all", "github", {}, branchPush, {}, "no x-github-event header; berth acts on push events only"],
    ["GitHub: a push to another branch", "github", GH("push"), branchPush, { ref: "main" }, "push to refs/heads/master; berth follows refs/heads/main (or the tag refs/tags/main)"],
    ["Gitea: a push to a branch that is not the default", "gitea", GT("push"), giteaPush("refs/heads/dev"), {}, "push to refs/heads/dev; berth follows the default branch, refs/heads/main"],
    ["GitHub: a tag push when berth follows the default branch", "github", GH("push"), tagPush, {}, "push to refs/tags/simple-tag; berth follows the default branch, refs/heads/master"],
    ["GitHub: a tag deleted", "github", GH("push"), tagDelete, { ref: "simple-tag" }, "the push deletes refs/tags/simple-tag; there is nothing to fetch"],
    ["GitLab: a branch deleted (after is all zeros)", "gitlab", GL("Push Hook"), gitlabPush("push", "refs/heads/master", "0000000000000000000000000000000000000000"), {}, "the push deletes refs/heads/master; there is nothing to fetch"],
    ["a pinned commit", "github", GH("push"), branchPush, { ref: "6113728f27ae82c7b1a177c8d03f9e96e0adf246" }, "berth follows commit 6113728f27ae82c7b1a177c8d03f9e96e0adf246, which no push moves"],
    ["a push payload without a default branch when berth follows it", "github", GH("push"), { ref: "refs/heads/main", after: "abc" }, {}, /payload names none \(repository\.default_branch\)/],
    ["a push without a ref", "gitea", GT("push"), { after: "abc", repository: { default_branch: "main" } }, {}, "the push payload has no ref"],
  ])("ignores %s", (_what, provider, headers, payload, followed, reason) => {
    const d = decide(headers, provider, body(payload), followed);
    expect(d.act).toBe(false);
    expect(!d.act && d.reason).toMatch(reason);
  });

  it.each([
    ["an empty body", "", "empty body; a push event carries its payload as JSON"],
    ["white space", "  \n", "empty body; a push event carries its payload as JSON"],
    ["not JSON", "ref=refs/heads/main", "the body is not JSON; configure the webhook with content type application/json"],
    ["a JSON array", "[1,2]", /not an object/],
    ["JSON null", "null", /not an object/],
  ])("ignores a push with %s", (_what, text, reason) => {
    const d = decide(GH("push"), "github", Buffer.from(text), {});
    expect(!d.act && d.reason).toMatch(reason);
  });
});

describe("event names and delivery ids, each from the provider's own header", () => {
  it.each<[Provider, Record<string, string>, string, string]>([
    ["github", GH("push"), "push", "72d3162e-cc78-11e3-81ab-4c9367dc0958"],
    ["gitea", GT("push"), "push", "0c6e7e4c-2c2b-4d61-9d37-7a5a0c1c4e2a"],
    ["gitlab", GL("Tag Push Hook"), "Tag Push Hook", "13792a34-cac6-4fda-95a8-c58e00a3954e"],
  ])("%s", (provider, headers, event, delivery) => {
    expect(eventName(headers, provider)).toBe(event);
    expect(deliveryId(headers, provider)).toBe(delivery);
  });

  it("keeps what a sender put in a header short and printable", () => {
    expect(eventName({ "x-github-event": `push\n${"x".repeat(500)}` }, "github")).toMatch(/^push\?x{95}$/);
  });

  it.each([
    [{ "x-gitea-event": "push", "x-github-event": "push" }, "gitea"],
    [{ "x-gitlab-token": "t" }, "gitlab"],
    [{ "x-hub-signature-256": "sha256=00" }, "github"],
    [{}, "unknown"],
  ])("claimedProvider(%j) = %s", (headers, provider) => expect(claimedProvider(headers)).toBe(provider));
});
