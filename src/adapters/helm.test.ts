import { describe, expect, it } from "vitest";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHelm } from "./helm.ts";
import { createLogger } from "../log.ts";
import { HelmError } from "../errors.ts";

// A stand-in helm that records its arguments (the real one runs in test/reconcile/*.int.test.ts).
async function recorder(body = "", version = "v4.3.1") {
  const dir = await mkdtemp(join(tmpdir(), "berth-helm-"));
  const bin = join(dir, "helm");
  const log = join(dir, "args");
  await writeFile(bin, `#!/usr/bin/env bash\nif [ "$1" = version ]; then echo ${version}; exit 0; fi\nprintf '%s\\n' "$@" > ${log}\nfor a in "$@"; do case "$a" in *.json) cp "$a" ${dir}/values.seen;; esac; done\n${body}\n`);
  await chmod(bin, 0o755);
  return { bin, args: async () => (await readFile(log, "utf8")).trim().split("\n"), values: () => readFile(join(dir, "values.seen"), "utf8") };
}

const log = createLogger({ level: "silent" });

describe("helm adapter", () => {
  it("passes values by a private file, labels, wait and timeout, and the cluster's kubeconfig", async () => {
    const r = await recorder();
    const helm = createHelm({ binary: r.bin, kubeconfig: "/k/east", context: "east", log });
    await helm.upgradeInstall({
      release: "shop-api", namespace: "shop", chartDir: "/charts/webservice", values: { env: { PASSWORD: "s3cret" } },
      labels: { "berth.dev/managed": "true", "berth.dev/digest": "abc" }, timeoutMs: 90_000,
    });
    const args = await r.args();
    expect(args.slice(0, 4)).toEqual(["upgrade", "shop-api", "/charts/webservice", "--install"]);
    expect(args.join(" ")).toContain("--labels berth.dev/managed=true,berth.dev/digest=abc");
    expect(args.join(" ")).toContain("--wait --wait-for-jobs --timeout 90s");
    expect(args.join(" ")).toContain("--kubeconfig /k/east --kube-context east");
    expect(args.join(" ")).not.toContain("s3cret");
    expect(JSON.parse(await r.values())).toEqual({ env: { PASSWORD: "s3cret" } });
    // Helm 4: server-side apply, so git wins over a hand edit; the version probe is one more call, once.
    expect(args).toContain("--force-conflicts");
    expect(helm.calls).toBe(2);
    await helm.rollback({ release: "shop-api", namespace: "shop", revision: 1, timeoutMs: 1000 });
    expect(await r.args()).toContain("--force-conflicts");
    expect(helm.calls).toBe(3);
  });

  it("acts as the Project's identity on every call when told to", async () => {
    const r = await recorder();
    const who = { user: "alice", groups: ["team-a", "team-b"] };
    const helm = createHelm({ binary: r.bin, kubeconfig: "/k/east", log, impersonate: who });
    await helm.uninstall({ release: "x", namespace: "shop", timeoutMs: 1000 });
    const args = await r.args();
    expect(args).toContain("--kube-as-user=alice");
    expect(args.filter((a) => a.startsWith("--kube-as-group="))).toEqual(["--kube-as-group=team-a", "--kube-as-group=team-b"]);
    // a ServiceAccount's own groups are the API server's to add (berth needs no right to impersonate groups)
    const sa = await recorder();
    const groups = ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"];
    await createHelm({ binary: sa.bin, log, impersonate: { user: "system:serviceaccount:shop:berth-shop", groups } }).uninstall({ release: "x", namespace: "shop", timeoutMs: 1000 });
    expect((await sa.args()).filter((a) => a.startsWith("--kube-as"))).toEqual(["--kube-as-user=system:serviceaccount:shop:berth-shop"]);
    const own = await recorder();
    await createHelm({ binary: own.bin, log }).uninstall({ release: "x", namespace: "shop", timeoutMs: 1000 });
    expect((await own.args()).some((a) => a.startsWith("--kube-as"))).toBe(false);
  });

  it("template returns what helm prints, with values by a private file, CRDs included", async () => {
    const r = await recorder(`echo "kind: ConfigMap"; echo "---"; echo "kind: Secret"`);
    const helm = createHelm({ binary: r.bin, log });
    const out = await helm.template({ release: "shop-api", namespace: "shop", chartDir: "/charts/x", values: { password: "s3cret" }, isUpgrade: true, timeoutMs: 1000 });
    expect(out).toBe("kind: ConfigMap\n---\nkind: Secret\n");
    const args = await r.args();
    expect(args.slice(0, 3)).toEqual(["template", "shop-api", "/charts/x"]);
    expect(args).toEqual(expect.arrayContaining(["--namespace", "shop", "--include-crds", "--is-upgrade"]));
    expect(args.join(" ")).not.toContain("s3cret");
    expect(JSON.parse(await r.values())).toEqual({ password: "s3cret" });
    await helm.template({ release: "shop-api", namespace: "shop", chartDir: "/charts/x", values: {}, isUpgrade: false, timeoutMs: 1000 });
    expect(await r.args()).not.toContain("--is-upgrade");
    expect(helm.calls).toBe(2);
  });

  it("passes no Helm 4 flag to Helm 3", async () => {
    const r = await recorder("", "v3.22.0");
    const helm = createHelm({ binary: r.bin, log });
    await helm.rollback({ release: "x", namespace: "y", revision: 2, timeoutMs: 1000 });
    expect(await r.args()).not.toContain("--force-conflicts");
  });

  it("terminates a helm that outlives its timeout and says so", async () => {
    const r = await recorder("trap '' TERM; sleep 30 &\nwait");
    const helm = createHelm({ binary: r.bin, log, slackMs: 200, killGraceMs: 300 });
    const started = Date.now();
    const err = await helm.rollback({ release: "x", namespace: "y", revision: 1, timeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HelmError);
    expect((err as HelmError).code).toBe("HELM_TIMEOUT");
    expect((err as HelmError).message).toMatch(/terminated \(SIGTERM, then SIGKILL\)/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports helm's last stderr line on failure", async () => {
    const r = await recorder(`echo 'Error: UPGRADE FAILED: context deadline exceeded' >&2; exit 1`);
    const helm = createHelm({ binary: r.bin, log });
    const err = (await helm.uninstall({ release: "x", namespace: "y", timeoutMs: 1000 }).catch((e: unknown) => e)) as HelmError;
    expect(err.message).toBe("helm uninstall failed: Error: UPGRADE FAILED: context deadline exceeded");
    expect(err.args[0]).toBe("uninstall");
  });
});
