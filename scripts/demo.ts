// The demo behind `npm run demo` (see demo.sh): examples/shop on two local clusters.
import { execa } from "execa";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ensureBinaries } from "../test/cluster/harness.ts";
import { commitFiles, createBareRepo } from "../test/support/git.ts";
import { run } from "../src/cli/index.ts";

const EXAMPLE = "examples/shop";

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

const binaries = await ensureBinaries();
const kubeconfigs: Record<string, string> = {};
for (const name of ["dev", "prod-hk"]) {
  process.stderr.write(`starting local cluster ${name}...\n`);
  kubeconfigs[name] = await clusterUp(name);
}

// The example's Cluster objects point at ~/.kube/config; here they point at the local clusters.
const files = await filesOf(EXAMPLE);
for (const [path, text] of Object.entries(files)) {
  if (!path.startsWith("clusters/")) continue;
  files[path] = text.replace(/kubeconfig: \{ path: [^,]+, context: ([\w-]+) \}/, (_, ctx: string) => `kubeconfig: { path: ${kubeconfigs[ctx]}, context: ${ctx} }`);
}
const repo = await createBareRepo({ baseDir: await mkdtemp(join(tmpdir(), "berth-demo-")) });
await commitFiles(repo, files, { message: "examples/shop" });
process.stderr.write(`git remote: ${repo.url}\n\n`);

// The local clusters' kubeconfigs are where berth may read them (it reads none from elsewhere).
const kubeconfigDirs = [...new Set(Object.values(kubeconfigs).map((k) => dirname(k)))].flatMap((d) => ["--kubeconfig-dir", d]);
const common = ["--source", repo.url, "--helm", binaries.helm, "--helm-timeout", "120", "--cache-dir", await mkdtemp(join(tmpdir(), "berth-demo-cache-")), ...kubeconfigDirs];
process.stdout.write(`$ berth reconcile --once --source ${repo.url}\n`);
const code = await run(["reconcile", "--once", ...common]);
process.stdout.write(`\n$ berth status --source ${repo.url}\n`);
await run(["status", ...common]);
process.stdout.write("\nThe clusters keep running: `npm run cluster -- list`; `npm run cluster -- down --name dev` (and prod-hk) stops them.\n");
process.exitCode = code;
