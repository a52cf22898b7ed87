// The Dockerfile cannot be built here (no Docker engine), so this keeps it
// honest: its entry point is the file the package's build produces and its
// bin runs, its helm is the one the test clusters pin, its bases are pinned.
import { access, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const read = (p: string) => readFile(join(root, p), "utf8");

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

/** Stages of a Dockerfile, continuation lines joined, comments dropped. */
function stages(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const args = new Map<string, string>();
  const out: Stage[] = [];
  for (const l of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) {
      const image = from[1]!.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? "");
      out.push({ from: image, ...(from[2] ? { name: from[2] } : {}), lines: [] });
    } else if (out.length === 0) {
      const arg = /^ARG\s+(\w+)=(\S+)/.exec(l);
      if (arg) args.set(arg[1]!, arg[2]!);
    } else {
      out.at(-1)!.lines.push(l);
    }
  }
  return { args, stages: out };
}

/** Runs `node <the image's flags> main.js serve` as the container would, on an empty definitions directory; SIGTERM ends it with 0. */
async function serveUntilSigterm(main: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "berth-serve-defs-"));
  const child = execa("node", ["--max-semi-space-size=1", "--optimize-for-size", main, "serve", "--source", dir, "--port", "0", "--host", "127.0.0.1", "--cache-dir", join(dir, ".cache")], {
    env: { BERTH_WEBHOOK_SECRET: "entrypoint-test" },
    reject: false,
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        const m = /serving on (http:\/\/\S+)/.exec(d.toString());
        if (m) resolve(m[1]!);
      });
      void child.then((r) => reject(new Error(`berth serve exited early: ${r.stderr}`)));
    });
    for (let i = 0; i < 300 && (await fetch(`${url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill("SIGTERM");
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("stopping: finishing the running pass");
  } finally {
    child.kill("SIGKILL");
  }
}

describe("Dockerfile", () => {
  it("runs the file that `npm run build` produces from src/main.ts, which bin/berth.js runs too", async () => {
    const { stages: all } = stages(await read("Dockerfile"));
    const final = all.at(-1)!;
    // node, its own flags (a small young generation, optimised for size: bench/peer reads them from here), then the build's main
    const entry = final.lines.find((l) => l.startsWith("ENTRYPOINT "));
    const argv = JSON.parse(entry!.slice("ENTRYPOINT ".length)) as string[];
    expect(argv[0]).toBe("node");
    expect(argv.at(-1)).toBe("dist/main.js");
    expect(argv.slice(1, -1)).toEqual(["--max-semi-space-size=1", "--optimize-for-size"]);
    expect(final.lines).toContain('CMD ["serve"]');
    expect(final.lines).toContain("WORKDIR /app");
    expect(final.lines).toContain("COPY --from=build /app/dist ./dist");
    const build = all.find((s) => s.name === "build")!;
    expect(build.lines).toContain("WORKDIR /app");
    expect(build.lines.some((l) => /^RUN npm ci\b/.test(l))).toBe(true);
    expect(build.lines.some((l) => /^RUN npm run build\b/.test(l))).toBe(true);

    const pkg = JSON.parse(await read("package.json")) as { bin: Record<string, string>; scripts: Record<string, string>; files: string[] };
    expect(pkg.scripts.build).toBe("tsc -p tsconfig.build.json");
    const tsb = JSON.parse(await read("tsconfig.build.json")) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsb.compilerOptions).toMatchObject({ outDir: "dist", rootDir: "src" });
    expect(await read(pkg.bin.berth!)).toContain('join(root, "dist", "main.js")');
    // What the package ships is what the image holds.
    for (const f of pkg.files) expect(final.lines.some((l) => new RegExp(`^COPY (--from=build /app/)?${f}\\b`).test(l)), f).toBe(true);
  });

  it("the build writes main.js at the top of its output, and `node main.js serve` serves and stops on SIGTERM", async () => {
    // The image's layout (/app: dist, node_modules, definitions, charts-template, package.json), with links to this checkout.
    const app = await mkdtemp(join(tmpdir(), "berth-image-"));
    const out = join(app, "dist");
    try {
      for (const entry of ["node_modules", "definitions", "charts-template", "package.json"]) await symlink(join(root, entry), join(app, entry));
      await execa("npx", ["tsc", "-p", "tsconfig.build.json", "--outDir", out], { cwd: root });
      await access(join(out, "main.js"));
      await access(join(out, "cli", "serve.js"));
      const { stdout } = await execa("node", [join(out, "main.js"), "serve", "--help"]);
      expect(stdout).toContain("--webhook-secret-file");
      await serveUntilSigterm(join(out, "main.js"));
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  }, 120_000);

  it("builds helm from the module and version the test clusters pin", async () => {
    const text = await read("Dockerfile");
    const helm = stages(text).stages.find((s) => s.name === "helm")!;
    const buildSh = await read("test/cluster/build.sh");
    const version = /^HELM4_VERSION=(\S+)/m.exec(buildSh)![1]!;
    const goMod = await read("test/cluster/tools/helm4/go.mod");
    expect(goMod).toMatch(new RegExp(`helm\\.sh/helm/v4 ${version.replace(/\./g, "\\.")}\\b`));
    expect(helm.lines).toContain("ARG HELM_VERSION=" + version);
    expect(helm.lines).toContain("COPY test/cluster/tools/helm4/go.mod test/cluster/tools/helm4/go.sum ./");
    expect(helm.lines.some((l) => l.includes("-o /out/helm helm.sh/helm/v4/cmd/helm"))).toBe(true);
    // The Go image is at least what the module asks for.
    const goWant = /^go (\d+)\.(\d+)/m.exec(goMod)!;
    const goHave = /^golang:(\d+)\.(\d+)\.\d+-bookworm$/.exec(helm.from)!;
    expect(Number(goHave[1]) * 100 + Number(goHave[2])).toBeGreaterThanOrEqual(Number(goWant[1]) * 100 + Number(goWant[2]));
    expect(stages(text).stages.at(-1)!.lines).toContain("COPY --from=helm /out/helm /usr/local/bin/helm");
  });

  it("pins every base image by version, runs as a non-root user and has git", async () => {
    const { stages: all } = stages(await read("Dockerfile"));
    for (const s of all) expect(s.from).toMatch(/^[a-z]+:\d+\.\d+\.\d+-bookworm(-slim)?$/);
    const node = all.filter((s) => s.from.startsWith("node:")).map((s) => s.from);
    expect(new Set(node).size).toBe(1);
    expect(node[0]).toMatch(/^node:20\./);
    const final = all.at(-1)!;
    const user = final.lines.find((l) => l.startsWith("USER "));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(final.lines.some((l) => /apt-get install .*\bgit\b/.test(l))).toBe(true);
  });
});
