import { createServer, type Server } from "node:https";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type Pki } from "../../../test/cluster/pki.ts";
import * as k8s from "@kubernetes/client-node";
import { createKube, loadKubeConfig } from "../kube.ts";
import { writeKubeconfig } from "../../../test/cluster/kubeconfig.ts";
import { until } from "../../../test/support/until.ts";

// An API server stand-in that asks for a client certificate, as kube-apiserver does.
let dir: string;
let pki: Pki;
let server: Server;
let url: string;
let handshakes = 0;
const clientCerts = new Set<string>();
let requests = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-agent-"));
  pki = await createPki(join(dir, "pki"), "10.96.0.1");
  server = createServer({
    key: await readFile(pki.servingKey),
    cert: await readFile(pki.servingCert),
    ca: await readFile(pki.caCert),
    requestCert: true,
    rejectUnauthorized: true,
  }, (req, res) => {
    requests++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", metadata: {}, items: [] }));
  });
  server.on("secureConnection", (socket) => {
    handshakes++;
    clientCerts.add(String(socket.getPeerCertificate().subject?.CN ?? ""));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  url = `https://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const kubeconfig = async (name: string) => {
  const path = join(dir, `${name}.kubeconfig`);
  await writeKubeconfig(path, { name, server: url, caCert: pki.caCert, clientCert: pki.adminCert, clientKey: pki.adminKey });
  return path;
};

describe("API connections", () => {
  it("many calls through one cluster's client share one kept-alive TLS connection, with the kubeconfig's client certificate", async () => {
    const kube = createKube({ cluster: "east", kubeconfigPath: await kubeconfig("east") });
    handshakes = 0;
    requests = 0;
    for (let i = 0; i < 5; i++) await kube.ensureNamespace("default").catch(() => undefined);
    expect(requests).toBeGreaterThanOrEqual(5);
    expect(handshakes).toBe(1);
    expect([...clientCerts]).toEqual(["berth-admin"]);
  });

  it("new TLS options (a rotated credential) get a new connection, and the old one is closed, not kept", async () => {
    const kc = loadKubeConfig({ cluster: "north", kubeconfigPath: await kubeconfig("north") });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const open = () => new Promise<number>((r, j) => server.getConnections((err, n) => (err ? j(err) : r(n))));
    server.closeAllConnections();
    await until("no connection open", async () => ((await open()) === 0 ? true : undefined), 2_000, 50);
    handshakes = 0;
    await core.listNamespace();
    await core.listNamespace();
    expect(handshakes).toBe(1);
    expect(await open()).toBe(1);
    // as when an exec plugin hands back another certificate: the agent's options change
    (kc.clusters[0] as { tlsServerName?: string }).tlsServerName = "localhost";
    await core.listNamespace();
    await core.listNamespace();
    expect(handshakes).toBe(2);
    // a closed socket reaches the server a moment later
    await until("one connection open", async () => ((await open()) === 1 ? true : undefined), 2_000, 50);
  });

  it("concurrent calls open connections side by side, and reuse them afterwards", async () => {
    const kube = createKube({ cluster: "west", kubeconfigPath: await kubeconfig("west") });
    handshakes = 0;
    await Promise.all(Array.from({ length: 3 }, () => kube.ensureNamespace("default").catch(() => undefined)));
    const opened = handshakes;
    expect(opened).toBeGreaterThanOrEqual(1);
    expect(opened).toBeLessThanOrEqual(3);
    for (let i = 0; i < 3; i++) await kube.ensureNamespace("default").catch(() => undefined);
    expect(handshakes).toBe(opened);
  });
});
