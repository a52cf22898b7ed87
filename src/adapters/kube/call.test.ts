import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createKube } from "../kube.ts";
import { callSignal, makeCall } from "./call.ts";

describe("makeCall", () => {
  it("aborts the signal its request runs with when the bound passes", async () => {
    let seen: AbortSignal | undefined;
    const call = makeCall("east", 50);
    await expect(call("read x", () => ((seen = callSignal.getStore()), new Promise(() => {})))).rejects.toThrow("cluster east: read x: no answer within 50 ms");
    expect(seen?.aborted).toBe(true);
  });

  it.each([
    ["an API server Status: its own sentence", `{"kind":"Status","status":"Failure","message":"jobs.batch is forbidden: User \\"alice\\" cannot create resource \\"jobs\\"","code":403}`, 'cluster east: create job: jobs.batch is forbidden: User "alice" cannot create resource "jobs"'],
    ["any other body as it is", "upstream connect error", "cluster east: create job: upstream connect error"],
  ])("reports %s", async (_name, body, want) => {
    const call = makeCall("east", 1_000);
    await expect(call("create job", () => Promise.reject(Object.assign(new Error("HTTP-Code: 403"), { body })))).rejects.toThrow(want);
  });
});

describe("a request to an API server that accepts and never answers (SIGSTOP'd)", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-call-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is ended by the call's bound: the socket closes, nothing is left holding the process", async () => {
    const sockets: Socket[] = [];
    const closed: Promise<void>[] = [];
    // Accepts the TCP connection and never speaks TLS back, as a stopped process's listen backlog does.
    const server = createServer((s) => {
      sockets.push(s);
      s.resume();
      closed.push(new Promise((r) => s.on("close", () => r())));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const path = join(dir, "config");
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{ name: c, cluster: { server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]`,
        "users: [{ name: u, user: { token: t } }]",
        "contexts: [{ name: c, context: { cluster: c, user: u } }]",
        "current-context: c",
      ].join("\n"),
    );
    try {
      const kube = createKube({ cluster: "hung", kubeconfigPath: path });
      const started = Date.now();
      await expect(kube.ping(300)).rejects.toThrow("cluster hung: reach the API server: no answer within 300 ms");
      expect(sockets).toHaveLength(1);
      // the client side closed the connection (before: it stayed open until the OS gave up)
      await expect(Promise.race([closed[0], new Promise((_, j) => setTimeout(() => j(new Error("socket still open")), 2_000))])).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
