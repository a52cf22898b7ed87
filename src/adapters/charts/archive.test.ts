import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { chartFacts, readChartArchive } from "./archive.ts";

const dir = mkdtempSync(join(tmpdir(), "berth-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A .tgz made by the system's tar, as `helm package` makes them: one top folder. */
function pack(files: Record<string, string>, extra: (root: string) => void = () => {}): Buffer {
  const root = mkdtempSync(join(dir, "c-"));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, "demo", p, ".."), { recursive: true });
    writeFileSync(join(root, "demo", p), text);
  }
  extra(join(root, "demo"));
  execFileSync("tar", ["czf", join(root, "demo.tgz"), "-C", root, "demo"]);
  return readFileSync(join(root, "demo.tgz"));
}

/** One ustar entry (header + padded body), for what the system's tar does not write. */
function entry(name: string, type: string, body: string): Buffer {
  const header = Buffer.alloc(512);
  const data = Buffer.from(body);
  header.write(name, 0);
  header.write("0000644\0", 100);
  header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write(type, 156);
  header.write("ustar\0", 257);
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

const CHART = { "Chart.yaml": "apiVersion: v2\nname: demo\nversion: 1.2.3\nkubeVersion: '>=1.21.0'\n", "values.yaml": "replicas: 1\n" };

describe("readChartArchive and chartFacts", () => {
  it("read a chart's files below its top folder, with its defaults, schema and CRDs", () => {
    const long = `templates/${"x".repeat(120)}.yaml`;
    const files = readChartArchive(
      pack({ ...CHART, "values.schema.json": '{"type":"object"}', "crds/a.yaml": "kind: CustomResourceDefinition\n", [long]: "kind: ConfigMap\n", "charts/sub/crds/b.yaml": "x" }),
    );
    expect([...files.keys()].sort()).toEqual(["Chart.yaml", "charts/sub/crds/b.yaml", "crds/a.yaml", long, "values.schema.json", "values.yaml"].sort());
    const facts = chartFacts(files);
    expect(facts).toMatchObject({ name: "demo", version: "1.2.3", kubeVersion: ">=1.21.0", values: { replicas: 1 }, schema: { type: "object" } });
    // a subchart's crds/ are Helm's business
    expect(facts.crds.map((c) => c.path)).toEqual(["crds/a.yaml"]);
  });

  it("skips links, so nothing of an archive points outside the chart", () => {
    const files = readChartArchive(pack(CHART, (root) => symlinkSync("/etc/passwd", join(root, "templates-passwd"))));
    expect(files.has("templates-passwd")).toBe(false);
  });

  it("reads pax `path` records (Go's archive/tar writes them for long or non-ASCII names) and skips hard links", () => {
    const long = `demo/templates/${"y".repeat(150)}.yaml`;
    const record = (key: string, value: string) => {
      const body = ` ${key}=${value}\n`;
      let len = body.length + 1;
      while (`${len}${body}`.length !== len) len++;
      return `${len}${body}`;
    };
    const tar = Buffer.concat([
      entry("demo/Chart.yaml", "0", CHART["Chart.yaml"]),
      entry("PaxHeaders/x", "x", record("path", long)),
      entry("demo/truncated-name", "0", "kind: ConfigMap\n"),
      entry("demo/hard", "1", ""),
      Buffer.alloc(1024),
    ]);
    const files = readChartArchive(gzipSync(tar));
    expect([...files.keys()].sort()).toEqual(["Chart.yaml", long.slice("demo/".length)]);
    expect(files.get(long.slice("demo/".length))!.toString()).toBe("kind: ConfigMap\n");
  });

  it("refuses an entry leading outside the chart", () => {
    const header = Buffer.alloc(512);
    header.write("demo/../../evil", 0);
    header.write("0000644\0", 100);
    header.write("00000000000\0", 124);
    header.write("0", 156);
    expect(() => readChartArchive(gzipSync(Buffer.concat([header, Buffer.alloc(1024)])))).toThrow(/leads outside the chart/);
  });

  it("refuses what is not a chart", () => {
    expect(() => readChartArchive(Buffer.from("plain text"))).toThrow(/not a gzip archive/);
    expect(() => readChartArchive(pack({ "values.yaml": "a: 1\n" }))).toThrow(/no Chart.yaml/);
    expect(() => chartFacts(new Map([["Chart.yaml", Buffer.from("name: x\n")]]))).toThrow(/needs a name and a version/);
    expect(() => readChartArchive(pack({ ...CHART, "big.txt": "x".repeat(4096) }), { maxFiles: 10, maxBytes: 2048 })).toThrow(/over 2048 bytes/);
  });
});
