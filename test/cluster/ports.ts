import { createServer, type Server } from "node:net";

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/**
 * Every port this process handed out. Once a call closes its probes the
 * kernel may give the same port to the next call, and clusters started side
 * by side (or one started before the last one bound its ports) would share it.
 */
const handedOut = new Set<number>();

/**
 * Returns `count` distinct free loopback ports, none handed out before by this
 * process. All are held open until every one is chosen, so the kernel never
 * hands out the same port twice within a call.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < count) {
      const server = await listen();
      servers.push(server);
      const port = portOf(server);
      if (handedOut.has(port)) continue;
      handedOut.add(port);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}
