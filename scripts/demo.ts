// The demo behind `npm run demo` (see demo.sh): examples/platform on two local
// clusters — the store's generated charts and the metrics-server chart from a
// Helm repository served on loopback for the run.
import { execa } from "execa";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureBinaries } from "../test/cluster/harness.ts";
import { startLocalChartRepo } from "../test/cluster/local-chart-repo.ts";
import { commitFiles, createBareRepo } from "../test/support/git.ts";
import { run } from "../src/cli/index.ts";

const EXAMPLE = "examples/platform";
const CLUSTERS = ["staging", "prod-eu"];

/** `npm run cluster -- up` (reuses a running one); its last line is KUBECONFIG=<path>. */
async function clusterUp(name: string): Promise<string> {
  const { stdout } = await execa("node", ["--import", "tsx", "test/cluster/cli.ts", "up", "--name", name], { stderr: "inherit" });
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (!last.startsWith("KUBECONFIG=")) throw new Error(`cluster ${name} did not start:\n${stdout}`);
  return last.slice("KUBECONFIG=".length);
}

async function filesOf(dir: string, prefix = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await filesOf(dir, rel));
    else out[rel] = await readFile(join(dir, rel), "utf8");
  }
  return out;
}

// prod-eu as the production overlay expects it: postgres asks for 50Gi on the
// StorageClass fast-ssd (a local cluster has only `standard`, 10Gi volumes) and
// the mailer's nodeSelector wants a node labelled workload=background.
const FAST_SSD = [
  "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: { name: fast-ssd }\nprovisioner: kubernetes.io/no-provisioner\nvolumeBindingMode: Immediate\nreclaimPolicy: Retain",
  ...[0, 1, 2].map(
    (i) =>
      `apiVersion: v1\nkind: PersistentVolume\nmetadata: { name: fast-ssd-${i} }\nspec:\n  capacity: { storage: 50Gi }\n  accessModes: [ReadWriteOnce]\n  persistentVolumeReclaimPolicy: Retain\n  storageClassName: fast-ssd\n  hostPath: { path: /tmp/berth-pv/fast-ssd-${i} }`,
  ),
].join("\n---\n");

const binaries = await ensureBinaries();
const kubeconfigs: Record<string, string> = {};
for (const name of CLUSTERS) {
  process.stderr.write(`starting local cluster ${name}...\n`);
  kubeconfigs[name] = await clusterUp(name);
}
const prod = ["--kubeconfig", kubeconfigs["prod-eu"]!];
await execa(binaries.kubectl, [...prod, "apply", "-f", "-"], { input: FAST_SSD, stdout: "ignore", stderr: "inherit" });
await execa(binaries.kubectl, [...prod, "label", "nodes", "--all", "--overwrite", "workload=background"], { stdout: "ignore", stderr: "inherit" });

// The ChartRepository `sigs` of the example reads http://127.0.0.1:8879: metrics-server
// 3.12.2 and 3.13.1 (and two more charts), packaged from their Go module zips.
const charts = await startLocalChartRepo(binaries);
process.stderr.write(`chart repository: ${charts.url}${charts.reused ? " (already served)" : ""}\n`);

try {
  // The example's Cluster objects point at ~/.kube/config; here they point at the local clusters.
  const files = await filesOf(EXAMPLE);
  for (const [path, text] of Object.entries(files)) {
    if (!path.startsWith("clusters/")) continue;
    files[path] = text.replace(/kubeconfig: \{ path: [^,]+, context: ([\w-]+) \}/, (_, ctx: string) => `kubeconfig: { path: ${kubeconfigs[ctx]}, context: ${ctx} }`);
  }
  const repo = await createBareRepo({ baseDir: await mkdtemp(join(tmpdir(), "berth-demo-")) });
  await commitFiles(repo, files, { message: EXAMPLE });
  process.stderr.write(`git remote: ${repo.url}\n\n`);

  // The local clusters' kubeconfigs are where berth may read them (it reads none from elsewhere).
  const kubeconfigDirs = [...new Set(Object.values(kubeconfigs).map((k) => dirname(k)))].flatMap((d) => ["--kubeconfig-dir", d]);
  const common = ["--source", repo.url, "--helm", binaries.helm, "--helm-timeout", "120", "--cache-dir", await mkdtemp(join(tmpdir(), "berth-demo-cache-")), ...kubeconfigDirs];
  process.stdout.write(`$ berth reconcile --once --source ${repo.url}\n`);
  const code = await run(["reconcile", "--once", ...common]);
  process.stdout.write(`\n$ berth status --source ${repo.url}\n`);
  await run(["status", ...common]);
  process.stdout.write(
    "\nThe clusters keep running: `npm run cluster -- list`; `npm run cluster -- down --name staging` (and prod-eu) stops them." +
      `\nThe chart repository stops with the demo; \`npm run cluster -- charts\` serves it again at ${charts.url}.\n`,
  );
  process.exitCode = code;
} finally {
  await charts.stop();
}
