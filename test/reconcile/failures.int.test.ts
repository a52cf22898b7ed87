// What goes wrong in real life: berth killed mid-upgrade, a helm that hangs.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { execa } from "execa";
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitFiles, createBareRepo, removeRepo, type GitFixture } from "../support/git.ts";
import { berth, clusterFiles, deploymentImage, revisions, tempCacheDir, webComponent, singleApiApp } from "./fixture.ts";

const clusters = inject("clusters");
const binaries = inject("binaries");
const east = clusters[0]!;

async function setup(name: string, ns: string) {
  const repo = await createBareRepo();
  await commitFiles(repo, {
    ...clusterFiles([east]),
    [`components/${name}-1.0.0.yaml`]: webComponent(`${name}-api`, "1.0.0"),
    "apps/app.yaml": singleApiApp(name, ns),
  });
  return repo;
}

const once = (repo: GitFixture, cache: string, helm: string, timeout: string, extra: string[] = []) =>
  berth(["reconcile", "--once", "--source", repo.url, "--helm", helm, "--cache-dir", cache, "--helm-timeout", timeout, "--output", "json", ...extra]);

const records = (out: string, release: string) => {
  const report = JSON.parse(out.trim().split("\n").at(-1)!);
  return report.clusters[0].releases.find((r: { name: string }) => r.name === release).records as Array<{ action: string; result: string; error?: string; toVersion?: string }>;
};

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("berth killed during an upgrade", () => {
  let repo: GitFixture;
  beforeAll(async () => {
    repo = await setup("recover", "rt-recover");
  });
  afterAll(async () => removeRepo(repo));

  it("recovers the pending release on the next start and reconciles it", async () => {
    const cache = await tempCacheDir();
    const first = await once(repo, cache, binaries.helm, "30");
    expect(first.code, first.out + first.err).toBe(0);
    await commitFiles(repo, { "components/recover-1.1.0.yaml": webComponent("recover-api", "1.1.0", { image: "registry.example.com/test/api-never-ready" }) });

    // berth in its own process group, as in a container: SIGKILL takes it and its helm
    const bin = join(process.cwd(), "bin", "berth.js");
    const child = execa(process.execPath, [bin, "reconcile", "--once", "--source", repo.url, "--helm", binaries.helm, "--cache-dir", cache, "--helm-timeout", "120"], {
      detached: true,
      reject: false,
    });
    await until("a pending upgrade", async () => {
      const revs = await revisions(east, "rt-recover", "recover-api");
      return revs.at(-1)?.status === "pending-upgrade" ? true : undefined;
    });
    process.kill(-child.pid!, "SIGKILL");
    await child;
    expect((await revisions(east, "rt-recover", "recover-api")).at(-1)).toEqual({ revision: 2, status: "pending-upgrade" });

    await commitFiles(repo, { "components/recover-1.1.1.yaml": webComponent("recover-api", "1.1.1") });
    const r = await once(repo, cache, binaries.helm, "30");
    expect(r.code).toBe(0);
    expect(records(r.out, "recover-api").map((x) => `${x.action}:${x.result}`)).toEqual(["unlock:succeeded", "remediate:succeeded", "upgrade:succeeded"]);
    expect(await deploymentImage(east, "rt-recover", "recover-api")).toBe("registry.example.com/test/recover-api:1.1.1");
    expect((await revisions(east, "rt-recover", "recover-api")).map((x) => x.status)).toEqual(["superseded", "failed", "superseded", "deployed"]);
  });
});

describe("a helm call that hangs past its timeout", () => {
  let repo: GitFixture;
  beforeAll(async () => {
    repo = await setup("hang", "rt-hang");
  });
  afterAll(async () => removeRepo(repo));

  it("is terminated; the release ends failed and is remediated, never left pending", async () => {
    const cache = await tempCacheDir();
    const first = await once(repo, cache, binaries.helm, "30");
    expect(first.code, first.out + first.err).toBe(0);
    // A helm that ignores berth's --timeout and would wait ten minutes.
    const dir = await mkdtemp(join(tmpdir(), "berth-hang-"));
    const wrapper = join(dir, "helm");
    await writeFile(
      wrapper,
      `#!/usr/bin/env bash\nargs=()\nfor a in "$@"; do if [ "$prev" = "--timeout" ]; then a=600s; fi; args+=("$a"); prev="$a"; done\nexec ${binaries.helm} "\${args[@]}"\n`,
    );
    await chmod(wrapper, 0o755);
    await commitFiles(repo, { "components/hang-1.1.0.yaml": webComponent("hang-api", "1.1.0", { image: "registry.example.com/test/api-never-ready" }) });
    const started = Date.now();
    // a helm process per call (the wrapper is that process); a hung Helm worker is killed the same way (src/adapters/helm/worker.test.ts)
    const r = await once(repo, cache, wrapper, "4", ["--helm-worker", ""]);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(r.code).toBe(1);
    const rec = records(r.out, "hang-api");
    expect(rec.at(-1)).toMatchObject({ action: "upgrade", result: "failed" });
    expect(rec.at(-1)!.error).toMatch(/terminated \(SIGTERM, then SIGKILL\).*rolled back to revision 1/);
    const revs = await revisions(east, "rt-hang", "hang-api");
    expect(revs.some((x) => x.status.startsWith("pending"))).toBe(false);
    expect(revs.at(-1)!.status).toBe("deployed");
    expect(await deploymentImage(east, "rt-hang", "hang-api")).toBe("registry.example.com/test/hang-api:1.0.0");
  });
});
