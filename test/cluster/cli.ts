// `npm run cluster -- up|down|list [--name NAME]`: local clusters for people
// and scripts (the README demo). `up` leaves the cluster running in the
// background and prints `KUBECONFIG=<path>` as its last line. `charts` serves
// the local chart repository examples/platform reads (127.0.0.1:8879) until Ctrl-C.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ensureBinaries, startCluster } from "./harness.ts";
import { LOCAL_CHART_PORT, startLocalChartRepo } from "./local-chart-repo.ts";
import { destroyRecorded, detachedBaseDir, listStates, livePids, readState, runsBaseDir } from "./state.ts";

const USAGE = "usage: npm run cluster -- up [--name NAME] | down [--name NAME] | list | charts [--port 8879]";
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

async function up(name: string): Promise<void> {
  const dataDir = join(detachedBaseDir(), name);
  const existing = await readState(dataDir);
  if (existing !== undefined && livePids(existing).length === Object.keys(existing.pids).length) {
    console.log(`cluster ${name} already runs at ${existing.server}`);
    console.log(`KUBECONFIG=${existing.kubeconfigPath}`);
    return;
  }
  if (existing !== undefined) await destroyRecorded(dataDir); // half dead: start afresh
  const binaries = await ensureBinaries();
  const started = Date.now();
  const cluster = await startCluster({ name, binaries, baseDir: detachedBaseDir(), detached: true });
  console.log(`cluster ${name} ready at ${cluster.server} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  console.log(`helm: ${binaries.helm}  helm3: ${binaries.helm3}  kubectl: ${binaries.kubectl}`);
  console.log(`stop it with: npm run cluster -- down --name ${name}`);
  console.log(`KUBECONFIG=${cluster.kubeconfigPath}`);
}

async function down(name: string): Promise<void> {
  const found = await destroyRecorded(join(detachedBaseDir(), name));
  console.log(found ? `cluster ${name} stopped and removed` : `no cluster named ${name}`);
}

async function list(): Promise<void> {
  const detached = await listStates(detachedBaseDir());
  // test runs keep theirs one level deeper: runs/<runner pid>/<name>
  const owners = await readdir(runsBaseDir()).catch(() => [] as string[]);
  const runs = (await Promise.all(owners.map((owner) => listStates(join(runsBaseDir(), owner))))).flat();
  const states = [...detached, ...runs];
  if (states.length === 0) {
    console.log("no local clusters");
    return;
  }
  for (const state of states) {
    const alive = livePids(state).length;
    const total = Object.keys(state.pids).length;
    const status = alive === total ? "running" : alive === 0 ? "stopped" : `degraded (${alive}/${total})`;
    const owner = state.owner === null ? "detached" : `test run ${state.owner}`;
    console.log(`${state.name}\t${status}\t${state.server}\t${owner}\t${state.kubeconfigPath}`);
  }
}

/** Serves the local chart repository in the foreground; Ctrl-C stops it. */
async function charts(port: number): Promise<void> {
  const repo = await startLocalChartRepo(await ensureBinaries(), port);
  if (repo.reused) {
    console.log(`a chart repository already serves ${repo.url}`);
    return;
  }
  console.log(`chart repository at ${repo.url} (index: ${repo.url}/index.yaml); Ctrl-C stops it`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  await repo.stop();
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string", default: "berth" },
      port: { type: "string", default: String(LOCAL_CHART_PORT) },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || rest.length > 0) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (!NAME_PATTERN.test(values.name)) {
    console.error(`--name ${values.name}: use lower-case letters, digits and '-' (a DNS label)`);
    return 2;
  }
  switch (command) {
    case "up":
      await up(values.name);
      return 0;
    case "down":
      await down(values.name);
      return 0;
    case "list":
      await list();
      return 0;
    case "charts": {
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        console.error(`--port ${values.port}: a TCP port, 1 to 65535`);
        return 2;
      }
      await charts(port);
      return 0;
    }
    default:
      console.error(`unknown command ${command}\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
