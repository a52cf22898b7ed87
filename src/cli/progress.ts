// Progress of reconcile, plan, status and drift, on stderr: on a terminal a
// live block redrawn in place, otherwise one line per finished release (for
// logs and CI). stdout keeps only the command's answer, so --output json is
// unchanged. progress-view.ts decides what is drawn.
import { Option, type Command } from "commander";
import type { Writable } from "node:stream";
import { UsageError } from "../errors.ts";
import type { ProgressSink } from "../reconcile/progress.ts";
import type { CliContext } from "./context.ts";
import { applyEvent, frame, lineFor, newProgress, type ProgressState } from "./progress-view.ts";

export type ProgressMode = "tty" | "lines" | "none";
const MODES = ["auto", "tty", "lines", "none"];

export interface ProgressFlags {
  progress: string;
  quiet?: boolean;
}

export function addProgressFlags(cmd: Command, env: NodeJS.ProcessEnv): Command {
  return cmd
    .addOption(
      new Option("--progress <MODE>", "progress on stderr: auto (tty on a terminal, else lines), tty (a live block), lines (one per finished release) or none (also BERTH_PROGRESS)")
        .choices(MODES)
        .default(env.BERTH_PROGRESS ?? "auto"),
    )
    .option("--quiet", "print no progress (as --progress none)");
}

const isTerminal = (s: Writable) => (s as Partial<NodeJS.WriteStream>).isTTY === true;

/** auto: a live block when stderr is a terminal that can move its cursor, else lines. */
export function progressMode(f: ProgressFlags, stderr: Writable, env: NodeJS.ProcessEnv): ProgressMode {
  if (f.quiet) return "none";
  if (f.progress === "auto") return isTerminal(stderr) && env.TERM !== "dumb" ? "tty" : "lines";
  if (f.progress === "tty" || f.progress === "lines" || f.progress === "none") return f.progress;
  throw new UsageError(`--progress (or BERTH_PROGRESS) must be one of ${MODES.join(", ")}; got "${f.progress}"`);
}

export interface ProgressRendererOptions {
  mode: ProgressMode;
  out: Writable;
  /** The command, first on the live block's title line. */
  title: string;
  now?: () => number;
  /** Calls `fn` every `ms` until the returned function is called (default: an unref'd setInterval). */
  every?: (ms: number, fn: () => void) => () => void;
  /** How often the live block is redrawn while nothing happens (its clocks move). */
  refreshMs?: number;
}

export interface ProgressRenderer {
  /** What the reconciler is given; none when progress is off. */
  sink?: ProgressSink;
  /** The pass is over: the live block is drawn a last time and left in place; the next event starts a new one. */
  end(): void;
}

const interval = (ms: number, fn: () => void) => {
  const t = setInterval(fn, ms);
  t.unref();
  return () => clearInterval(t);
};

export function createProgressRenderer(o: ProgressRendererOptions): ProgressRenderer {
  const now = o.now ?? Date.now;
  let state: ProgressState | undefined;
  const begin = (): ProgressState => (state ??= newProgress(now()));

  if (o.mode === "none") return { end: () => {} };
  if (o.mode === "lines") {
    return {
      sink: (e) => {
        const s = begin();
        applyEvent(s, e, now());
        const line = lineFor(s, e, now());
        if (line !== undefined) o.out.write(`${line}\n`);
      },
      end: () => (state = undefined),
    };
  }

  let drawn = 0; // lines of the block on screen, the cursor just below them
  let lastDraw = 0;
  let stopTicking: (() => void) | undefined;
  const draw = (final = false) => {
    if (!state) return;
    const lines = frame(state, { title: o.title, now: now(), ...columnsOf(o.out), ...(final ? { detail: 0 } : {}) });
    // up to the block's first line, clear to the end of the screen, draw again
    o.out.write(`${drawn ? `\x1b[${drawn}A\r\x1b[J` : ""}${lines.join("\n")}\n`);
    drawn = lines.length;
    lastDraw = now();
  };
  return {
    sink: (e) => {
      if (!state) stopTicking = (o.every ?? interval)(o.refreshMs ?? 250, () => draw());
      applyEvent(begin(), e, now());
      // many events can come in one moment: the ticker draws what a skipped redraw left
      if (now() - lastDraw >= 100 || e.kind === "cluster-done") draw();
    },
    end: () => {
      stopTicking?.();
      stopTicking = undefined;
      draw(true);
      state = undefined;
      drawn = 0;
    },
  };
}

const columnsOf = (s: Writable): { columns?: number } => {
  const c = (s as Partial<NodeJS.WriteStream>).columns;
  return c ? { columns: c } : {};
};

/** The renderer a command's flags ask for, drawing on the command's stderr. */
export function progressFor(f: ProgressFlags, ctx: Pick<CliContext, "stderr" | "env">, title: string): ProgressRenderer {
  return createProgressRenderer({ mode: progressMode(f, ctx.stderr, ctx.env), out: ctx.stderr, title });
}
