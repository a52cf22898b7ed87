// CPU seconds and resident memory of process trees, from /proc (Linux).
import { readFileSync, readdirSync } from "node:fs";

const TICKS = 100; // USER_HZ: clock ticks per second on Linux

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, seconds. */
  cpu: number;
  /** cutime + cstime: children already reaped, seconds. */
  reaped: number;
  rssBytes: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may hold spaces: split after the last ')'
    const close = raw.lastIndexOf(")");
    const comm = raw.slice(raw.indexOf("(") + 1, close);
    const f = raw.slice(close + 2).split(" ");
    // f[0] is field 3 (state): utime is field 14, rss field 24
    const n = (field: number) => Number(f[field - 3]);
    return { pid, ppid: n(4), comm, cpu: (n(14) + n(15)) / TICKS, reaped: (n(16) + n(17)) / TICKS, rssBytes: n(24) * 4096 };
  } catch {
    return undefined;
  }
}

function all(): Stat[] {
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => stat(Number(d)) ?? []);
}

/** A process and those of its descendants whose command name passes `keep`. */
export interface Tree {
  root: number;
  keep: (comm: string) => boolean;
}

export interface Usage {
  /** CPU seconds: the roots, their reaped children, and the kept live descendants. */
  cpu: number;
  rssBytes: number;
  /** Of which the kept descendants (helm processes, the Helm worker). */
  childRssBytes: number;
  /** CPU seconds of the kept live descendants (the reaped ones are counted in `cpu` only). */
  childCpu: number;
}

/** Each tree's usage, from one read of /proc. */
export function usageEach(trees: Tree[]): Usage[] {
  const procs = all();
  const children = new Map<number, Stat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  return trees.map((t) => {
    const u: Usage = { cpu: 0, rssBytes: 0, childRssBytes: 0, childCpu: 0 };
    const root = procs.find((p) => p.pid === t.root);
    if (!root) return u;
    u.cpu += root.cpu + root.reaped;
    u.rssBytes += root.rssBytes;
    const walk = (pid: number) => {
      for (const c of children.get(pid) ?? []) {
        if (t.keep(c.comm)) {
          u.cpu += c.cpu + c.reaped;
          u.childCpu += c.cpu + c.reaped;
          u.rssBytes += c.rssBytes;
          u.childRssBytes += c.rssBytes;
        }
        walk(c.pid);
      }
    };
    walk(t.root);
    return u;
  });
}

/** The trees' usage added up. */
export function usage(trees: Tree[]): Usage {
  return usageEach(trees).reduce(
    (a, u) => ({ cpu: a.cpu + u.cpu, rssBytes: a.rssBytes + u.rssBytes, childRssBytes: a.childRssBytes + u.childRssBytes, childCpu: a.childCpu + u.childCpu }),
    { cpu: 0, rssBytes: 0, childRssBytes: 0, childCpu: 0 },
  );
}

/**
 * Samples peak resident memory of the trees every `everyMs`; the sampler's
 * own CPU (it runs in this process) is counted so it can be taken off.
 */
export function sampler(trees: () => Tree[], everyMs = 250) {
  let peak = 0;
  let peakChildren = 0;
  let ownCpuUs = 0;
  const tick = () => {
    const before = process.cpuUsage();
    const u = usage(trees());
    peak = Math.max(peak, u.rssBytes);
    peakChildren = Math.max(peakChildren, u.childRssBytes);
    const d = process.cpuUsage(before);
    ownCpuUs += d.user + d.system;
  };
  const timer = setInterval(tick, everyMs);
  return {
    reset() {
      peak = 0;
      peakChildren = 0;
      tick();
    },
    get peakBytes() {
      return peak;
    },
    /** Peak of the kept descendants alone. */
    get peakChildBytes() {
      return peakChildren;
    },
    /** CPU seconds the sampler spent in this process. */
    get ownCpu() {
      return ownCpuUs / 1e6;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
