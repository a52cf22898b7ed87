import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../reconcile/progress.ts";
import { createProgressRenderer, progressMode, type ProgressMode } from "./progress.ts";

/** A stream that records what is written, optionally posing as a terminal. */
function sink(tty = false, columns = 80) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => (text += d));
  if (tty) Object.assign(out, { isTTY: true, columns });
  return { out, text: () => text };
}

describe("progressMode", () => {
  it.each<[string, { progress: string; quiet?: boolean }, boolean, NodeJS.ProcessEnv, ProgressMode]>([
    ["auto on a terminal: the live block", { progress: "auto" }, true, { TERM: "xterm" }, "tty"],
    ["auto on a dumb terminal: lines", { progress: "auto" }, true, { TERM: "dumb" }, "lines"],
    ["auto in a pipe or a file: lines", { progress: "auto" }, false, {}, "lines"],
    ["forced tty in a pipe", { progress: "tty" }, false, {}, "tty"],
    ["--quiet wins", { progress: "tty", quiet: true }, true, {}, "none"],
    ["none", { progress: "none" }, true, {}, "none"],
  ])("%s", (_n, f, tty, env, want) => {
    expect(progressMode(f, sink(tty).out, env)).toBe(want);
  });

  it("an unknown mode (from BERTH_PROGRESS) is a usage error", () => {
    expect(() => progressMode({ progress: "fancy" }, sink().out, {})).toThrow(/must be one of auto, tty, lines, none; got "fancy"/);
  });
});

const events: ProgressEvent[] = [
  { kind: "cluster-start", cluster: "east", work: "reconcile" },
  { kind: "cluster-planned", cluster: "east", total: 2, changing: 2 },
  { kind: "release-start", cluster: "east", release: "shop-api", action: "install" },
  { kind: "release-done", cluster: "east", release: "shop-api", result: "applied", actions: ["install"], to: "1.0.0", ms: 2100 },
  { kind: "release-done", cluster: "east", release: "shop-db", result: "unchanged", actions: [], ms: 0 },
  { kind: "cluster-done", cluster: "east", reachable: true, ms: 2500 },
];

// a redraw: up over the block drawn before, back to its first column, clear to the end of the screen
const REDRAW = new RegExp(String.raw`\x1b\[\d+A\r\x1b\[J`);

describe("createProgressRenderer", () => {
  it("lines: what a log needs, nothing redrawn", () => {
    const s = sink();
    const r = createProgressRenderer({ mode: "lines", out: s.out, title: "reconcile", now: () => 0 });
    for (const e of events) r.sink!(e);
    r.end();
    expect(s.text()).toBe(["east: 2 releases, 2 to change", "east shop-api installed 1.0.0 (2.1 s)", "east: 2/2 done: 1 applied, 1 unchanged (0.0 s)", ""].join("\n"));
  });

  it("none: no sink for the reconciler at all", () => {
    expect(createProgressRenderer({ mode: "none", out: sink().out, title: "plan" }).sink).toBeUndefined();
  });

  it("tty: each redraw goes up over the last block and clears it; the ticker moves the clocks; end leaves the last frame", () => {
    const s = sink(true);
    let t = 1000;
    let tick: (() => void) | undefined;
    let stopped = 0;
    const r = createProgressRenderer({
      mode: "tty",
      out: s.out,
      title: "reconcile",
      now: () => t,
      every: (_ms, fn) => {
        tick = fn;
        return () => stopped++;
      },
    });
    r.sink!(events[0]!); // first draw: 2 lines
    r.sink!(events[1]!); // the same moment: not drawn again
    t = 1500;
    r.sink!(events[2]!); // drawn: 3 lines, over the 2 before
    t = 2000;
    tick!();
    const frames = s.text().split(REDRAW);
    expect(frames).toEqual([
      "berth reconcile  0.0 s\n  east  reading (0.0 s)\n",
      "berth reconcile  0.5 s\n  east  0/2 done: 1 running (0.5 s)\n    shop-api install (0.0 s)\n",
      "berth reconcile  1.0 s\n  east  0/2 done: 1 running (1.0 s)\n    shop-api install (0.5 s)\n",
    ]);
    expect(s.text()).toContain("\x1b[2A\r\x1b[J");
    expect(s.text()).toContain("\x1b[3A\r\x1b[J");
    for (const e of events.slice(3)) r.sink!(e);
    r.end();
    expect(stopped).toBe(1);
    expect(s.text().split(REDRAW).at(-1)).toBe("berth reconcile  1.0 s\n  east  2/2 done: 1 applied, 1 unchanged (1.0 s)\n");
    // the next pass draws a new block below, not over this one
    const before = s.text().length;
    t = 9000;
    r.sink!(events[0]!);
    expect(s.text().slice(before)).toBe("berth reconcile  0.0 s\n  east  reading (0.0 s)\n");
  });
});
