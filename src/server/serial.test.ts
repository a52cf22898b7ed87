import { describe, expect, it } from "vitest";
import { createSerial, NotStarted } from "./serial.ts";

/** A job that runs until `end()` is called. */
function held() {
  let end!: () => void;
  const done = new Promise<void>((r) => (end = r));
  return { end, job: () => done };
}

describe("serial: one job at a time, in the order asked", () => {
  it("runs jobs one after another in order, saying what runs and since when", async () => {
    const s = createSerial();
    const seen: string[] = [];
    const pass = held();
    const first = s.run("the reconcile pass", async () => {
      seen.push("pass start");
      await pass.job();
      seen.push("pass end");
      return 1;
    });
    const second = s.run("a restart", async () => {
      seen.push("restart");
      return 2;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(["pass start"]);
    expect(s.running()).toMatchObject({ what: "the reconcile pass", since: expect.any(Date) });
    pass.end();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(seen).toEqual(["pass start", "pass end", "restart"]);
    expect(s.running()).toBeUndefined();
  });

  it("a failing job rejects its caller only; the next one runs", async () => {
    const s = createSerial();
    const bad = s.run("bad", () => Promise.reject(new Error("boom")));
    const good = s.run("good", async () => "ok");
    await expect(bad).rejects.toThrow("boom");
    expect(await good).toBe("ok");
  });

  it("a job cancelled while it waits never runs, says why, and does not hold the ones after it", async () => {
    const s = createSerial();
    const pass = held();
    void s.run("the reconcile pass", pass.job);
    const stop = new AbortController();
    let ran = false;
    const waiting = s.run("a restart", async () => void (ran = true), { signal: stop.signal });
    const after = s.run("a resume", async () => "resumed");
    stop.abort(new Error("waited too long"));
    await expect(waiting).rejects.toThrow(NotStarted);
    await expect(waiting).rejects.toThrow("waited too long");
    pass.end();
    expect(await after).toBe("resumed");
    expect(ran).toBe(false);
  });

  it("a signal that fires once the job runs changes nothing: it runs to its end", async () => {
    const s = createSerial();
    const stop = new AbortController();
    const job = held();
    const p = s.run("a rollback", async () => (await job.job(), "done"), { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    job.end();
    expect(await p).toBe("done");
  });

  it("a signal already aborted: refused at once", async () => {
    const s = createSerial();
    const stop = new AbortController();
    stop.abort("gone");
    await expect(s.run("x", async () => 1, { signal: stop.signal })).rejects.toThrow("gone");
    expect(await s.run("y", async () => 2)).toBe(2);
  });
});
