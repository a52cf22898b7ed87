import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadRepo } from "../model/load.ts";
import { createTargetCache, defaultKubeconfigDirs, resolveKubeconfigPath, type KubeconfigPolicy } from "./targets.ts";

const root = realpathSync(mkdtempSync(join(tmpdir(), "berth-targets-")));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const home = join(root, "home");
const kube = join(home, ".kube");
const source = join(kube, "defs"); // an allowed dir that holds the definitions: still refused inside
const cache = join(root, "cache");
const outside = join(root, "elsewhere");
for (const d of [kube, source, cache, outside]) mkdirSync(d, { recursive: true });
const config = (user: string) =>
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{ name: c, cluster: { server: https://127.0.0.1:1 } }]",
    `users: [{ name: u, user: ${user} }]`,
    "contexts: [{ name: east, context: { cluster: c, user: u } }]",
    "current-context: east",
  ].join("\n");
for (const f of [join(kube, "config"), join(source, "kubeconfig"), join(cache, "kubeconfig"), join(outside, "kubeconfig")]) writeFileSync(f, config("{ token: t }"));
symlinkSync(join(source, "kubeconfig"), join(kube, "into-source"));
symlinkSync(join(outside, "kubeconfig"), join(kube, "into-elsewhere"));
symlinkSync(join(kube, "config"), join(outside, "into-kube"));

const policy: KubeconfigPolicy = {
  dirs: [kube],
  deny: [
    { dir: source, what: "the definitions source" },
    { dir: cache, what: "berth's --cache-dir" },
  ],
  allowExec: false,
};

describe("resolveKubeconfigPath", () => {
  it.each([
    ["an absolute path inside an allowed dir", join(kube, "config"), join(kube, "config")],
    ["~/ under berth's home", "~/.kube/config", join(kube, "config")],
    ["a symlink elsewhere that lands inside an allowed dir", join(outside, "into-kube"), join(kube, "config")],
  ])("accepts %s", (_, raw, want) => {
    expect(resolveKubeconfigPath(raw, policy, home)).toBe(want);
  });

  it.each([
    ["a relative path", "clusters/kubeconfig", /is relative, so it would depend on the directory berth runs in; write an absolute path/],
    ["a path with ${VAR}", "/x/${BERTH_WEBHOOK_SECRET}", /has a "\$": nothing in a kubeconfig path is expanded from the environment; write the path itself/],
    ["a path with $VAR", "$HOME/.kube/config", /nothing in a kubeconfig path is expanded/],
    ["a file in the source tree inside an allowed dir", join(source, "kubeconfig"), /is inside the definitions source, which git can write/],
    ["a symlink in an allowed dir into the source tree", join(kube, "into-source"), /into-source \(which resolves to .*defs\/kubeconfig\) is inside the definitions source/],
    ["a file in the cache dir", join(cache, "kubeconfig"), /is inside berth's --cache-dir/],
    ["a file outside every allowed dir", join(outside, "kubeconfig"), /is outside the directories the operator allows .*--kubeconfig-dir DIR/],
    ["a symlink in an allowed dir to outside", join(kube, "into-elsewhere"), /resolves to .*elsewhere\/kubeconfig\) is outside the directories/],
    ["`..` out of an allowed dir", `${kube}/../../elsewhere/kubeconfig`, /is outside the directories the operator allows/],
    ["a missing file", join(kube, "missing"), /cannot read kubeconfig .*missing: ENOENT/],
    ["~user (another user's home)", "~root/.kube/config", /only ~\/ \(the home of berth's own user\) is expanded, not ~user/],
  ])("refuses %s", (_, raw, msg) => {
    expect(() => resolveKubeconfigPath(raw, policy, home)).toThrow(msg);
  });

  it("never puts an environment value into the error", () => {
    process.env.BERTH_TARGETS_TEST_SECRET = "s3cr3t-value";
    try {
      expect(() => resolveKubeconfigPath("/x/${BERTH_TARGETS_TEST_SECRET}", policy, home)).toThrow(/^(?!.*s3cr3t-value)/s);
    } finally {
      delete process.env.BERTH_TARGETS_TEST_SECRET;
    }
  });

  it("takes the operator's dirs from BERTH_KUBECONFIG_DIRS, else ~/.kube", () => {
    expect(defaultKubeconfigDirs({}, home)).toEqual([kube]);
    expect(defaultKubeconfigDirs({ BERTH_KUBECONFIG_DIRS: "/a:~/b::" }, home)).toEqual(["/a", join(home, "b")]);
  });
});

describe("createTargetCache with a refused kubeconfig", () => {
  const log = pino({ level: "silent" });
  const repoWith = async (name: string, kubeconfig: string) => {
    const dir = join(root, `repo-${name}`);
    mkdirSync(join(dir, "clusters"), { recursive: true });
    writeFileSync(
      join(dir, "clusters", "prod.yaml"),
      ["apiVersion: berth.dev/v1alpha1", "kind: Cluster", "metadata: { name: prod }", "spec:", `  kubeconfig: ${kubeconfig}`, ""].join("\n"),
    );
    return (await loadRepo(dir)).clusters;
  };
  const execConfig = join(kube, "exec-config");
  writeFileSync(execConfig, config("{ exec: { apiVersion: client.authentication.k8s.io/v1, command: touch, args: [/tmp/never] } }"));

  it("refuses an exec plugin before any client exists, naming file:line and the flag, and helm refuses too", async () => {
    const clusters = await repoWith("exec", `{ path: ${execConfig} }`);
    const [t] = createTargetCache({ helmBinary: "/nonexistent/helm", log, kubeconfig: policy }).targets(clusters);
    await expect(t!.kube.ping()).rejects.toThrow(
      /clusters\/prod.yaml:5:\d+ spec.kubeconfig.path: kubeconfig .*exec-config: its user u runs an exec credential plugin .*--insecure-kubeconfig-exec/,
    );
    await expect(t!.helm.upgradeInstall({ release: "r", namespace: "n", chartDir: "/x", values: {}, labels: {}, timeoutMs: 1000 })).rejects.toThrow(/--insecure-kubeconfig-exec/);
    expect(t!.helm.calls).toBe(0);
  });

  it("refuses a path outside the allowed dirs the same way, naming where it is declared", async () => {
    const clusters = await repoWith("outside", `{ path: ${join(outside, "kubeconfig")} }`);
    const [t] = createTargetCache({ helmBinary: "helm", log, kubeconfig: policy }).targets(clusters);
    await expect(t!.kube.ping()).rejects.toThrow(/clusters\/prod.yaml:5:\d+ spec.kubeconfig.path: .*is outside the directories the operator allows/);
  });
});

describe("createTargetCache: clients acting as a Project's identity", () => {
  const log = pino({ level: "silent" });
  const fakeHelm = join(root, "fake-helm");
  writeFileSync(fakeHelm, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  const repo = async () => {
    const dir = join(root, "repo-as");
    mkdirSync(join(dir, "clusters"), { recursive: true });
    writeFileSync(join(dir, "clusters", "prod.yaml"), ["apiVersion: berth.dev/v1alpha1", "kind: Cluster", "metadata: { name: prod }", "spec:", `  kubeconfig: { path: ${join(kube, "config")} }`, ""].join("\n"));
    return (await loadRepo(dir)).clusters;
  };
  const shop = { user: "system:serviceaccount:shop:berth-shop", groups: ["system:serviceaccounts:shop"] };

  it("are made once per identity, kept across passes, apart from berth's own, and their helm calls count", async () => {
    const clusters = await repo();
    // a helm process per call (the fake binary), whatever $BERTH_HELM_WORKER the suite runs with
    const cache = createTargetCache({ helmBinary: fakeHelm, log, kubeconfig: policy, helmWorker: "" });
    const [t] = cache.targets(clusters);
    const a = t!.as!(shop);
    expect(t!.as!({ ...shop })).toBe(a);
    expect(a.kube).not.toBe(t!.kube);
    expect(a.helm).not.toBe(t!.helm);
    expect(t!.as!({ user: "system:serviceaccount:other:sa", groups: [] })).not.toBe(a);
    // the next pass, same access: the same clients
    const [again] = cache.targets(clusters);
    expect(again!.as!(shop)).toBe(a);
    await a.helm.uninstall({ release: "r", namespace: "shop", timeoutMs: 1000 });
    expect(cache.helmCalls()).toBe(1);
  });
});
