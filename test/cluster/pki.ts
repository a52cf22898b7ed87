import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

/** File paths of one cluster's keys and certificates (PEM). */
export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  /** Client certificate of the admin user, group system:masters. */
  adminCert: string;
  adminKey: string;
  /** Service-account token signing key pair. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

const DAYS = "3650";

async function openssl(cwd: string, args: readonly string[]): Promise<void> {
  await execa("openssl", args, { cwd });
}

// EC P-256 keys: generated in milliseconds, accepted by every component.
async function ecKey(dir: string, name: string): Promise<string> {
  await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  return join(dir, `${name}.key`);
}

async function signed(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await ecKey(dir, name);
  await openssl(dir, ["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, [
    "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key",
    // explicit serials: two certificates are signed at once, a shared ca.srl would race
    "-set_serial", `0x${randomBytes(8).toString("hex")}`,
    "-days", DAYS, "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`,
  ]);
}

/**
 * Creates a CA, a serving certificate for 127.0.0.1 / localhost and the
 * in-cluster `kubernetes` Service IP, an admin client certificate and a
 * service-account signing key, all with the system's `openssl`.
 */
export async function createPki(dir: string, serviceIp: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  await ecKey(dir, "ca");
  await openssl(dir, [
    "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=berth-test-ca", "-days", DAYS, "-sha256",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-out", "ca.crt",
  ]);
  await Promise.all([
    signed(
      dir,
      "apiserver",
      "/CN=kube-apiserver",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
        "extendedKeyUsage=serverAuth\n" +
        `subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${serviceIp},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n`,
    ),
    signed(
      dir,
      "admin",
      "/O=system:masters/CN=berth-admin",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
    ),
    (async () => {
      await ecKey(dir, "sa");
      await openssl(dir, ["ec", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
    })(),
  ]);
  return {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    servingCert: join(dir, "apiserver.crt"),
    servingKey: join(dir, "apiserver.key"),
    adminCert: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    serviceAccountKey: join(dir, "sa.key"),
    serviceAccountPub: join(dir, "sa.pub"),
  };
}
