// Commit statuses on a real Gitea (issue 12 item 3): definitions pushed to a
// Gitea repository, berth serve follows it on a local cluster and sets
// `berth/<cluster>` on each commit it applies — pending when the pass starts
// there, success when it ends well, failure when a release fails — read back
// through Gitea's API. The repository comes from the source URL berth follows.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startServe, type ServeHandle } from "../../src/cli/serve.ts";
import { createLogger } from "../../src/log.ts";
import { openSource, type GitSource } from "../../src/reconcile/source.ts";
import { startGitea, type Gitea } from "../support/gitea.ts";
import { until } from "../support/until.ts";
import { clusterFiles, tempCacheDir, webComponent } from "../reconcile/fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;
const NS = "cs-notify";

interface Status { id: number; context: string; status: string; description: string }

let gitea: Gitea;
let source: GitSource;
let serve: ServeHandle;
let creds: string;
let logs = "";

const statuses = (sha: string) => gitea.api<Status[]>("GET", `/repos/${gitea.user}/defs/commits/${sha}/statuses?limit=50`);
/** The states berth set on `berth/<cluster>` of a commit, oldest first. */
const states = async (sha: string) => (await statuses(sha)).filter((s) => s.context === `berth/${east.name}`).sort((a, b) => a.id - b.id).map((s) => s.status);

beforeAll(async () => {
  gitea = await startGitea();
  await gitea.createRepo("defs", { private: false });
  creds = await mkdtemp(join(tmpdir(), "berth-cs-creds-"));
  await writeFile(join(creds, "gitea-token"), `${gitea.token}\n`);
});

afterAll(async () => {
  await serve?.close();
  await source?.close();
  await gitea?.stop();
  if (creds) await rm(creds, { recursive: true, force: true });
});

describe("commit statuses on Gitea", () => {
  let first: string;

  it("pending when the pass starts on the commit, then success", async () => {
    first = await gitea.pushFiles("defs", {
      ...clusterFiles([east]),
      "components/cs-web-1.0.0.yaml": webComponent("cs-web", "1.0.0"),
      "apps/cs.yaml": `apiVersion: berth.dev/v1alpha1
kind: Application
metadata: { name: cs }
spec:
  namespace: ${NS}
  components:
    - { name: web, component: cs-web, version: "^1.0.0" }
`,
      "notify/forge.yaml": `apiVersion: berth.dev/v1alpha1
kind: Notification
metadata: { name: forge }
spec:
  applications: [cs]
  sinks:
    - commitStatus: { provider: gitea, url: "${gitea.url}", tokenFile: ${join(creds, "gitea-token")} }
`,
    }, { message: "cs-web 1.0.0" });
    const cache = await tempCacheDir();
    source = await openSource(gitea.cloneUrl("defs"), { cacheDir: join(cache, "sources") });
    serve = await startServe({
      source,
      cacheDir: cache,
      helmBinary: binaries.helm,
      log: createLogger({ level: "info", destination: new Writable({ write: (c, _e, cb) => ((logs += c.toString()), cb()) }) }),
      port: 0,
      host: "127.0.0.1",
      intervalMs: 600_000,
      helmTimeoutMs: 10_000,
      // only this forge's status API; the token goes nowhere else
      notify: { policy: { credentialDirs: [creds], urls: [`${gitea.url}/api/v1/repos/`] }, namespace: "cs-berth" },
    });
    await until("berth/east success on the first commit", async () => ((await states(first)).includes("success") ? true : undefined), 180_000, 500);
    expect(await states(first)).toEqual(["pending", "success"]);
    const success = (await statuses(first)).find((s) => s.status === "success")!;
    expect(success.description).toMatch(/^1 release in sync at [0-9a-f]{12} on east \(1 changed\)$/);
  });

  it("failure on a commit whose release fails, after pending; the first commit keeps its success", async () => {
    const second = await gitea.pushFiles("defs", { "components/cs-web-1.1.0.yaml": webComponent("cs-web", "1.1.0", { image: "registry.example.com/test/cs-never-ready" }) }, { message: "cs-web 1.1.0, never ready" });
    serve.trigger();
    await until("berth/east failure on the second commit", async () => ((await states(second)).includes("failure") ? true : undefined), 180_000, 500);
    expect(await states(second)).toEqual(["pending", "failure"]);
    const failure = (await statuses(second)).find((s) => s.status === "failure")!;
    expect(failure.description).toMatch(/^cs-web failed: /);
    expect(await states(first)).toEqual(["pending", "success"]);
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_notifications_total\{sink="commitStatus",event="failure",outcome="sent"\} 1/);
  });

  it("failure on a commit berth refuses as invalid, with the file:line of the problem", async () => {
    const bad = await gitea.pushFiles("defs", { "apps/broken.yaml": "apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: broken }\nspec:\n  components: []\n" }, { message: "an Application without a namespace" });
    serve.trigger();
    await until("berth/east failure on the invalid commit", async () => ((await states(bad)).includes("failure") ? true : undefined), 60_000, 500);
    const failure = (await statuses(bad)).find((s) => s.context === `berth/${east.name}`)!;
    expect(failure.description).toMatch(/^invalid, nothing applied: apps\/broken\.yaml:\d+:\d+ spec\.namespace: /);
  });

  it("never logs the forge token", () => {
    expect(logs).toContain('"sink":"commitStatus gitea 127.0.0.1:');
    expect(logs).not.toContain(gitea.token);
  });
});
