// berth validate on Notifications: every problem at file:line with the field
// and what would be right (unknown names, bad events, sinks' spelling).
import { afterEach, describe, expect, it } from "vitest";
import { BASE_REPO } from "./fixtures/base-repo.ts";
import { removeRepo, runCli, writeRepo } from "./helpers/temp-repo.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeRepo(d);
});

const notification = (spec: string) => `apiVersion: berth.dev/v1alpha1
kind: Notification
metadata: { name: team }
spec:
${spec}`;

async function validate(files: Record<string, string>) {
  const dir = writeRepo({ ...BASE_REPO, ...files });
  dirs.push(dir);
  return runCli(["validate", dir]);
}

describe("berth validate: kind Notification", () => {
  it("accepts a Notification with every sink", async () => {
    const r = await validate({
      "notify/team.yaml": notification(`  applications: [shop]
  clusters: [prod-hk]
  on: [failed, succeeded, drift]
  sinks:
    - webhook: { url: https://hooks.example.com/berth, secretFile: /etc/berth/notify/hook }
    - slack: { urlFile: /etc/berth/notify/slack }
    - commitStatus: { provider: gitlab, url: https://gitlab.example.com, tokenFile: ~/notify/token, repository: group/sub/defs }
`),
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("names unknown applications and clusters, bad events, secrets in URLs and paths berth would not read, each at file:line", async () => {
    const r = await validate({
      "notify/team.yaml": notification(`  applications: [shop, shopp]
  clusters: [prod-hk, nope]
  on: [failed]
  sinks:
    - webhook: { url: "https://u:p@hooks.example.com/x", secretFile: hook-secret }
`),
      // a document that fails its schema is reported alone (its other fields are not checked further)
      "notify/events.yaml": notification(`  on: [failed, exploded]
  sinks:
    - slack: { urlFile: /etc/berth/slack }
`).replace("name: team", "name: events"),
      "notify/other.yaml": notification(`  sinks:
    - slack: { urlFile: "$HOME/slack" }
    - commitStatus: { provider: gitea, url: https://git.example.com, tokenFile: /etc/berth/t, repository: noslash }
`).replace("name: team", "name: other"),
      "notify/two.yaml": notification(`  sinks:
    - { slack: { urlFile: /a }, webhook: { url: "https://x", secretFile: /b } }
    - commitStatus: { provider: bitbucket, url: https://x, tokenFile: /t }
`).replace("name: team", "name: two"),
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n");
    const line = (re: RegExp) => expect(lines.some((l) => re.test(l)), `${re} in\n${r.stderr}`).toBe(true);
    line(/^notify\/team\.yaml:5:\d+ spec\.applications\[1\]: no Application named "shopp"; known: shop$/);
    line(/^notify\/team\.yaml:6:\d+ spec\.clusters\[1\]: no Cluster named "nope"; known: prod-fra, prod-hk$/);
    line(/^notify\/events\.yaml:5:\d+ spec\.on\[1\]: must be one of "failed", "blocked", "waiting-approval", "succeeded", "drift", got "exploded"/);
    line(/^notify\/team\.yaml:9:\d+ spec\.sinks\[0\]\.webhook\.url: credentials never go in git/);
    line(/^notify\/team\.yaml:9:\d+ spec\.sinks\[0\]\.webhook\.secretFile: path "hook-secret" is relative/);
    line(/^notify\/other\.yaml:6:\d+ spec\.sinks\[0\]\.slack\.urlFile: path "\$HOME\/slack" has a "\$": nothing .* is expanded from the environment.*--notification-credentials-dir/);
    line(/^notify\/other\.yaml:7:\d+ spec\.sinks\[1\]\.commitStatus\.repository: must be owner\/name on gitea/);
    line(/^notify\/two\.yaml:6:\d+ spec\.sinks\[0\]: must NOT have more than 1 properties \(one of webhook, slack or commitStatus\)/);
    line(/^notify\/two\.yaml:7:\d+ spec\.sinks\[1\]\.commitStatus\.provider: must be one of "gitea", "github", "gitlab", got "bitbucket"/);
  });

  it("refuses two Notifications of one name", async () => {
    const spec = `  sinks:\n    - slack: { urlFile: /etc/berth/slack }\n`;
    const r = await validate({ "notify/a.yaml": notification(spec), "notify/b.yaml": notification(spec) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/notify\/b\.yaml:3:\d+ metadata\.name: duplicate Notification "team": also defined at notify\/a\.yaml:3:\d+/);
  });
});
