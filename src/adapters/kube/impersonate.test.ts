import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKube } from "../kube.ts";
import { groupHeaderName, groupsToSend } from "./impersonate.ts";

// A stand-in API server that keeps every request's raw header lines.
let server: Server;
let dir: string;
let kubeconfig: string;
const seen: { url: string; lines: Array<[string, string]> }[] = [];

const pairs = (req: IncomingMessage): Array<[string, string]> => {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) out.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return out;
};
const lines = (name: string, r: (typeof seen)[number]) => r.lines.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", lines: pairs(req) });
    res.setHeader("Content-Type", "application/json");
    if (req.url === "/version") res.end(JSON.stringify({ major: "1", minor: "37", gitVersion: "v1.37.0" }));
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code: 404, reason: "NotFound" }));
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), "berth-imp-"));
  kubeconfig = join(dir, "config");
  // the kubeconfig's own `as` must not survive: berth's impersonation replaces it
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]\nusers: [{ name: u, user: { token: t0ken, as: someone-else } }]\ncontexts: [{ name: c, context: { cluster: c, user: u } }]\ncurrent-context: c\n`,
  );
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("impersonation headers", () => {
  it("every request acts as the user, one Impersonate-Group line per group", async () => {
    seen.length = 0;
    const groups = ["team-a", "team-b", "system:authenticated"];
    const kube = createKube({ cluster: "c", kubeconfigPath: kubeconfig, impersonate: { user: "alice", groups } });
    await kube.ping();
    await expect(kube.listReleases()).rejects.toThrow();
    expect(await kube.getObject("v1", "ConfigMap", "shop", "x")).toBeUndefined();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const r of seen) {
      expect(lines("Impersonate-User", r), r.url).toEqual(["alice"]);
      expect(lines("Impersonate-Group", r), r.url).toEqual(groups);
      expect(lines("Authorization", r)).toEqual(["Bearer t0ken"]);
    }
  });

  it("a ServiceAccount is sent as its user only: the API server adds its groups itself", async () => {
    seen.length = 0;
    const groups = ["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"];
    await createKube({ cluster: "c", kubeconfigPath: kubeconfig, impersonate: { user: "system:serviceaccount:shop:berth-shop", groups } }).ping();
    expect(lines("Impersonate-User", seen[0]!)).toEqual(["system:serviceaccount:shop:berth-shop"]);
    expect(lines("Impersonate-Group", seen[0]!)).toEqual([]);
  });

  it.each<[string, string[], string[]]>([
    ["system:serviceaccount:shop:sa", ["system:serviceaccounts:shop"], []],
    ["system:serviceaccount:shop:sa", ["system:serviceaccounts:other"], ["system:serviceaccounts:other"]],
    ["system:serviceaccount:shop:sa", ["system:serviceaccounts", "admins"], ["system:serviceaccounts", "admins"]],
    ["bob", ["system:authenticated"], ["system:authenticated"]],
  ])("groupsToSend(%s, %j) -> %j", (user, groups, want) => {
    expect(groupsToSend({ user, groups })).toEqual(want);
  });

  it("berth's own client sends none (and a client for one identity leaves another's alone)", async () => {
    seen.length = 0;
    createKube({ cluster: "c", kubeconfigPath: kubeconfig, impersonate: { user: "alice", groups: [] } });
    const own = createKube({ cluster: "c", kubeconfigPath: kubeconfig });
    await own.ping();
    expect(seen).toHaveLength(1);
    // only the kubeconfig's own `as`, as client-node sends it
    expect(lines("Impersonate-User", seen[0]!)).toEqual(["someone-else"]);
    expect(lines("Impersonate-Group", seen[0]!)).toEqual([]);
  });

  it("group header spellings are distinct and all name the same header", () => {
    const names = Array.from({ length: 40 }, (_, i) => groupHeaderName(i));
    expect(new Set(names).size).toBe(40);
    expect(names[0]).toBe("Impersonate-Group");
    for (const n of names) expect(n.toLowerCase()).toBe("impersonate-group");
  });
});
