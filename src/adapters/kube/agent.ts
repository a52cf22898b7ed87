// client-node builds a new https.Agent for every request, without keep-alive:
// each API call paid a TCP connect, a TLS handshake and a new SecureContext
// (the client key parsed again). Measured at 200 releases, that was a third
// of berth's own CPU. Here every request made through one KubeConfig shares
// one keep-alive agent for its current TLS options (an idle socket does not
// keep the process alive: the agent unrefs it); when they change, the old
// agent's connections close.
import * as https from "node:https";
import type * as k8s from "@kubernetes/client-node";

/** The TLS options an agent was made with that decide whom it talks to, and as whom. */
const KEYS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

function keyOf(o: https.AgentOptions): string {
  return JSON.stringify(KEYS.map((k) => (Buffer.isBuffer(o[k]) ? (o[k] as Buffer).toString("base64") : (o[k] ?? null))));
}

export function reuseAgent(kc: k8s.KubeConfig): void {
  // the agent for the current TLS options; only one is ever current
  let current: { key: string; agent: https.Agent } | undefined;
  const applyAuth = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (ctx) => {
    await applyAuth(ctx);
    const made = ctx.getAgent();
    // a proxy agent (cluster.proxyUrl) or plain http: left as client-node made it
    if (!(made instanceof https.Agent) || made.constructor !== https.Agent) return;
    const options = (made as https.Agent & { options: https.AgentOptions }).options;
    const key = keyOf(options);
    if (current?.key !== key) {
      // new TLS options (a credential plugin rotated the client certificate):
      // the agent made before serves no new request, so it is let go
      if (current) retire(current.agent);
      current = { key, agent: new https.Agent({ ...options, keepAlive: true }) };
    }
    ctx.setAgent(current.agent);
  };
}

/** Closes an agent's idle connections now and each busy one when its request ends (a watch runs on until it does). */
function retire(agent: https.Agent): void {
  agent.keepSocketAlive = () => false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}
