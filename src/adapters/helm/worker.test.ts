// The Helm worker client over a stand-in worker (a node script speaking the
// protocol); the real worker runs in test/reconcile/*.int.test.ts.
import { describe, expect, it } from "vitest";
import { chmod, mkdtemp, readFile, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createHelm } from "../helm.ts";
import { createHelmWorker } from "./worker.ts";
import { createLogger } from "../../log.ts";
import { HelmError } from "../../errors.ts";

const log = createLogger({ level: "silent" });

// What the stand-in does is chosen by the release name: ok, slow-<ms>, hang,
// deadline (answers "timeout" at deadlineMs), die, fail, wait-cancel.
const FAKE = String.raw`
const fs = require("node:fs");
const readline = require("node:readline");
const seen = process.env.FAKE_SEEN;
if (seen) fs.appendFileSync(seen, JSON.stringify({ argv: process.argv.slice(2), pid: process.pid }) + "\n");
const say = (m) => process.stdout.write(JSON.stringify(m) + "\n");
say({ hello: { protocol: Number(process.env.FAKE_PROTOCOL ?? 1), helm: "v4.3.1" } });
const waiting = new Map();
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const r = JSON.parse(line);
  if (seen) fs.appendFileSync(seen, line + "\n");
  if (r.op === "cancel") {
    const w = waiting.get(r.id);
    if (w) say({ id: r.id, ok: false, code: "cancelled", error: "context canceled" });
    return;
  }
  const name = r.release;
  if (name === "ok") say({ id: r.id, ok: true, output: "kind: ConfigMap\n", action: r.op });
  else if (name.startsWith("slow-")) setTimeout(() => say({ id: r.id, ok: true, output: name }), Number(name.slice(5)));
  else if (name === "deadline") setTimeout(() => say({ id: r.id, ok: false, code: "timeout", error: "context deadline exceeded" }), r.deadlineMs);
  else if (name === "die") { process.stderr.write("panic: boom\n"); process.exit(3); }
  else if (name === "fail") say({ id: r.id, ok: false, code: "failed", error: "UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress" });
  else if (name === "wait-cancel") waiting.set(r.id, true);
  // "hang": no answer, ever
});
`;

async function fake(env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), "berth-worker-"));
  const script = join(dir, "worker.cjs");
  await writeFile(script, FAKE);
  const bin = join(dir, "berth-helm-worker");
  const seen = join(dir, "seen");
  const vars = Object.entries({ FAKE_SEEN: seen, ...env }).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ");
  await writeFile(bin, `#!/usr/bin/env bash\nexec env ${vars} ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`);
  await chmod(bin, 0o755);
  // a stand-in helm binary: only the version probe
  const helm = async (version: string) => {
    const h = join(dir, `helm-${version}`);
    await writeFile(h, `#!/usr/bin/env bash\nif [ "$1" = version ]; then echo ${version}; exit 0; fi\necho process "$@" >> ${join(dir, "processes")}\n`);
    await chmod(h, 0o755);
    return h;
  };
  const lines = async () =>
    (await readFile(seen, "utf8").catch(() => ""))
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    bin,
    dir,
    helm,
    requests: async () => (await lines()).filter((l) => "op" in l),
    starts: async () => (await lines()).filter((l) => "argv" in l) as { argv: string[]; pid: number }[],
    processes: () => readFile(join(dir, "processes"), "utf8").catch(() => ""),
  };
}

const upgrade = (release: string, timeoutMs = 1000) => ({
  release, namespace: "shop", chartDir: "/charts/webservice", values: { env: { PASSWORD: "s3cret" } }, labels: { "berth.dev/managed": "true" }, timeoutMs,
});

const failure = async (p: Promise<unknown>): Promise<HelmError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HelmError);
  return err as HelmError;
};

describe("helm worker client", () => {
  it("sends each call as one request with an id; the worker's argv has only the cluster's access, values go over stdin", async () => {
    const f = await fake();
    const helm = createHelm({ binary: await f.helm("v4.3.1"), kubeconfig: "/k/east", context: "east", log, worker: f.bin, impersonate: { user: "alice", groups: ["team-a"] } });
    await helm.upgradeInstall({ ...upgrade("ok"), maxHistory: 3, skipCrds: true });
    expect(await helm.template({ release: "ok", namespace: "shop", chartDir: "/charts/x", values: {}, isUpgrade: true, timeoutMs: 1000 })).toBe("kind: ConfigMap\n");
    await helm.rollback({ release: "ok", namespace: "shop", revision: 2, timeoutMs: 1000 });
    await helm.uninstall({ release: "ok", namespace: "shop", timeoutMs: 1000 });
    const starts = await f.starts();
    expect(starts).toHaveLength(1);
    // the field manager is the helm binary's file name, as the binary itself applies
    expect(starts[0]!.argv).toEqual(["--kubeconfig", "/k/east", "--kube-context", "east", "--kube-as-user=alice", "--kube-as-group=team-a", "--field-manager=helm-v4.3.1"]);
    const reqs = await f.requests();
    expect(reqs.map((r) => r.op)).toEqual(["upgrade", "template", "rollback", "uninstall"]);
    expect(new Set(reqs.map((r) => r.id)).size).toBe(4);
    expect(reqs[0]).toMatchObject({ release: "ok", namespace: "shop", chartDir: "/charts/webservice", values: { env: { PASSWORD: "s3cret" } }, labels: { "berth.dev/managed": "true" }, maxHistory: 3, skipCrds: true, timeoutMs: 1000 });
    // the worker cancels at helm's timeout plus the process path's slack (half, at most 30 s)
    expect(reqs[0]!.deadlineMs).toBe(1500);
    expect(reqs[1]).toMatchObject({ op: "template", isUpgrade: true });
    expect(reqs[2]).toMatchObject({ op: "rollback", revision: 2, maxHistory: 10 });
    // one version probe (a process), then no helm process per call
    expect(helm.calls).toBe(5);
    expect(await f.processes()).toBe("");
    helm.close?.();
  });

  it("runs requests concurrently on one worker, each getting its own answer", async () => {
    const f = await fake();
    const w = createHelmWorker({ binary: f.bin, args: [], log, killGraceMs: 100 });
    const started = Date.now();
    const answers = await Promise.all([300, 100, 200].map((ms) => w.request({ op: "upgrade", release: `slow-${ms}`, namespace: "x", timeoutMs: 5000 }, 5000)));
    expect(Date.now() - started).toBeLessThan(900);
    expect(answers.map((o) => (o.kind === "answer" ? o.answer.output : o.kind))).toEqual(["slow-300", "slow-100", "slow-200"]);
    expect(w.started).toBe(1);
    w.close();
  });

  it("keeps a Helm 3 binary on the process path: the worker is Helm 4", async () => {
    const f = await fake();
    const helm = createHelm({ binary: await f.helm("v3.22.0"), log, worker: f.bin });
    await helm.uninstall({ release: "ok", namespace: "shop", timeoutMs: 1000 });
    expect(await f.starts()).toHaveLength(0);
    expect(await f.processes()).toContain("process uninstall ok --namespace shop");
  });

  it("a request the worker cancels at its deadline fails as a timeout", async () => {
    const f = await fake();
    const helm = createHelm({ binary: await f.helm("v4.3.1"), log, worker: f.bin, slackMs: 100 });
    const err = await failure(helm.upgradeInstall(upgrade("deadline", 200)));
    expect(err.code).toBe("HELM_TIMEOUT");
    expect(err.message).toMatch(/^helm upgrade did not finish within 1s; it was cancelled in the helm worker/);
    helm.close?.();
  });

  it("a worker that does not answer by 1.5x the deadline is killed, fails what it ran, and is started again", async () => {
    const f = await fake();
    const helm = createHelm({ binary: await f.helm("v4.3.1"), log, worker: f.bin, slackMs: 100, killGraceMs: 200 });
    const started = Date.now();
    const hung = failure(helm.upgradeInstall(upgrade("hang", 200)));
    const other = failure(helm.upgradeInstall(upgrade("slow-5000", 10_000)));
    const err = await hung;
    // deadline 300 ms; given up on at 450 ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(440);
    expect(err.code).toBe("HELM_TIMEOUT");
    expect(err.message).toMatch(/did not answer by 1\.5x that and was killed \(SIGTERM, then SIGKILL\)/);
    // the other request on the killed worker fails with it, not as a timeout
    const lost = await other;
    expect(lost.code).toBe("HELM_FAILED");
    expect(lost.message).toMatch(/the helm worker exited \(SIGTERM\)/);
    await helm.upgradeInstall(upgrade("ok"));
    const starts = await f.starts();
    expect(starts).toHaveLength(2);
    expect(() => process.kill(starts[0]!.pid, 0)).toThrow();
    helm.close?.();
  });

  it("a worker that dies fails its request with what it said on stderr; the next request starts a new one", async () => {
    const f = await fake();
    const helm = createHelm({ binary: await f.helm("v4.3.1"), log, worker: f.bin });
    const err = await failure(helm.upgradeInstall(upgrade("die")));
    expect(err.code).toBe("HELM_FAILED");
    expect(err.message).toContain("the helm worker exited (3): panic: boom");
    await helm.upgradeInstall(upgrade("ok"));
    expect(await f.starts()).toHaveLength(2);
    helm.close?.();
  });

  it("a failure reads as the helm binary's last stderr line", async () => {
    const f = await fake();
    const helm = createHelm({ binary: await f.helm("v4.3.1"), log, worker: f.bin });
    const err = await failure(helm.upgradeInstall(upgrade("fail")));
    expect(err.code).toBe("HELM_FAILED");
    expect(err.message).toBe("helm upgrade failed: Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress");
    helm.close?.();
  });

  it("when berth stops, running requests are cancelled in the worker and reported as stopped", async () => {
    const f = await fake();
    const stop = new AbortController();
    const helm = createHelm({ binary: await f.helm("v4.3.1"), log, worker: f.bin, signal: stop.signal, killGraceMs: 2000 });
    const running = failure(helm.upgradeInstall(upgrade("wait-cancel", 60_000)));
    while ((await f.requests()).length === 0) await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const err = await running;
    expect(err.message).toMatch(/was stopped \(cancelled in the helm worker\) because berth is shutting down/);
    expect((await f.requests()).map((r) => r.op)).toEqual(["upgrade", "cancel"]);
    await failure(helm.upgradeInstall(upgrade("ok")));
    expect(await f.starts()).toHaveLength(1);
  });

  it("keeps the process alive while it waits for the worker, and lets it exit once the worker is idle", async () => {
    const f = await fake();
    const worker = new URL("./worker.ts", import.meta.url).pathname;
    const script = `import { createHelmWorker } from ${JSON.stringify(worker)};
const w = createHelmWorker({ binary: ${JSON.stringify(f.bin)}, args: [], log: { debug() {}, info() {}, warn() {} }, killGraceMs: 100 });
const o = await w.request({ op: "upgrade", release: "slow-300", namespace: "x", timeoutMs: 5000 }, 5000);
console.log(o.kind === "answer" ? o.answer.output : o.kind);`;
    const started = Date.now();
    const r = await execa(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { reject: false });
    expect(r.stdout).toBe("slow-300");
    // the idle worker (5 minutes before it is closed) does not hold the process
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("refuses a worker speaking another protocol", async () => {
    const f = await fake({ FAKE_PROTOCOL: "2" });
    const helm = createHelm({ binary: await f.helm("v4.3.1"), log, worker: f.bin });
    const err = await failure(helm.upgradeInstall(upgrade("ok")));
    expect(err.message).toMatch(/speaks protocol 2, berth 1/);
  });

  it("a changed kubeconfig gets a new worker; an idle worker is closed and started again when needed", async () => {
    const f = await fake();
    const kubeconfig = join(f.dir, "kubeconfig");
    await writeFile(kubeconfig, "a");
    const helm = createHelm({ binary: await f.helm("v4.3.1"), kubeconfig, log, worker: f.bin, workerIdleMs: 150 });
    await helm.upgradeInstall(upgrade("ok"));
    await helm.upgradeInstall(upgrade("ok"));
    expect(await f.starts()).toHaveLength(1);
    await writeFile(kubeconfig, "rotated");
    await utimes(kubeconfig, new Date(), new Date(Date.now() + 5000));
    await helm.upgradeInstall(upgrade("ok"));
    const starts = await f.starts();
    expect(starts).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 400));
    expect(() => process.kill(starts[1]!.pid, 0)).toThrow();
    await helm.upgradeInstall(upgrade("ok"));
    expect(await f.starts()).toHaveLength(3);
    helm.close?.();
  });
});
