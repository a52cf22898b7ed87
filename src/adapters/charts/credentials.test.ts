// What a commit can make berth read through a ChartRepository: only files the
// operator put inside --repository-credentials-dir (the allowed and outside
// cases of fetcher.test.ts, plus spellings, symlinks and insecure).
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChartSourceError } from "../../errors.ts";
import type { ChartRepository } from "../../model/types.ts";
import { readAccess, urlAllowed } from "./credentials.ts";

const work = mkdtempSync(join(tmpdir(), "berth-creds-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const dir = mkdtempSync(join(work, "allowed-"));
const outside = mkdtempSync(join(work, "outside-"));
writeFileSync(join(dir, "user"), "berth\r\n");
writeFileSync(join(dir, "pass"), "s3cret\n");
writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
writeFileSync(join(outside, "pass"), "stolen\n");
symlinkSync(join(outside, "pass"), join(dir, "link-out"));

const doc = (spec: ChartRepository["spec"]): ChartRepository =>
  ({ apiVersion: "berth.dev/v1alpha1", kind: "ChartRepository", metadata: { name: "sigs" }, spec, origin: { file: "r.yaml", pos: () => ({ line: 1, col: 1 }) } }) as ChartRepository;
const policy = { dirs: [dir] };

describe("readAccess", () => {
  it("reads username, password (one trailing newline trimmed) and CA from the allowed directory", async () => {
    const a = await readAccess(doc({ url: "oci://reg.example/charts", insecure: true, auth: { usernameFile: join(dir, "user"), passwordFile: join(dir, "pass") }, caFile: join(dir, "ca.pem") }), policy);
    expect(a).toEqual({ name: "sigs", url: "oci://reg.example/charts", insecure: true, auth: { username: "berth", password: "s3cret" }, ca: expect.stringContaining("BEGIN CERTIFICATE") });
  });

  it.each([
    ["a $ in the path", { caFile: "$HOME/ca.pem" }, /spec.caFile: .*has a "\$": nothing .* is expanded from the environment/],
    ["a relative path", { caFile: "ca.pem" }, /spec.caFile: .*is relative/],
    ["a symlink leading outside", { auth: { usernameFile: join(dir, "user"), passwordFile: join(dir, "link-out") } }, /spec.auth.passwordFile: .*not a file inside the directories the operator allows .*--repository-credentials-dir DIR \(or BERTH_REPOSITORY_CREDENTIAL_DIRS/],
    ["a missing file", { caFile: join(dir, "nope.pem") }, /spec.caFile: .*not a file inside/],
    ["insecure on https", { insecure: true }, /spec.insecure is for oci:\/\/ registries only/],
  ])("refuses %s, naming the field and never the secret", async (_n, over, want) => {
    const p = readAccess(doc({ url: "https://charts.example", ...over }), policy);
    await expect(p).rejects.toThrow(ChartSourceError);
    await expect(p).rejects.toThrow(want);
    await expect(p).rejects.toThrow(/^ChartRepository sigs: /);
    await expect(p).rejects.not.toThrow(/stolen|s3cret/);
  });
});

describe("the operator's repository URLs (--repository-url-allow)", () => {
  it.each([
    ["https://charts.example/sigs", ["https://charts.example"], true],
    ["https://charts.example/sigs/", ["https://charts.example/sigs"], true],
    ["https://charts.example.evil.com/x", ["https://charts.example"], false],
    ["http://169.254.169.254/latest", ["https://charts.example"], false],
    ["oci://reg.example/charts", undefined, true],
  ])("%s with %j: %s", (url, allowed, want) => expect(urlAllowed(url, allowed)).toBe(want));

  it("refuses a repository outside them before any request or file read", async () => {
    const p = readAccess(doc({ url: "http://169.254.169.254/latest", auth: { usernameFile: join(dir, "user"), passwordFile: join(dir, "pass") } }), { ...policy, urls: ["https://charts.example"] });
    await expect(p).rejects.toThrow(/spec.url http:\/\/169.254.169.254\/latest is not one the operator allows \(https:\/\/charts.example\); nothing was requested; .*--repository-url-allow/);
  });
});
