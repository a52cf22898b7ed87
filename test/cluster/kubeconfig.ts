import { readFile, writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export interface KubeconfigOptions {
  /** Cluster, user and context name. */
  name: string;
  server: string;
  caCert: string;
  clientCert: string;
  clientKey: string;
}

const b64 = async (path: string): Promise<string> => (await readFile(path)).toString("base64");

/** Writes a self-contained kubeconfig (certificates embedded) for one cluster. */
export async function writeKubeconfig(path: string, options: KubeconfigOptions): Promise<void> {
  const { name } = options;
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name, cluster: { server: options.server, "certificate-authority-data": await b64(options.caCert) } },
    ],
    users: [
      {
        name,
        user: {
          "client-certificate-data": await b64(options.clientCert),
          "client-key-data": await b64(options.clientKey),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
}
