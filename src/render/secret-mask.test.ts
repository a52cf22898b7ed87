import { describe, expect, it } from "vitest";
import type { KeyChange, ReleaseChange, RenderDiff } from "./diff.ts";
import { maskDiff, maskKeyChange } from "./diff-mask.ts";
import { diffObjects, splitManifest } from "./manifest-diff.ts";
import { MASK, MASK_CHANGED, looksSecret, maskPair, maskValue, pathLooksSecret } from "./secret-mask.ts";

describe("looksSecret", () => {
  it.each([
    ["password", true],
    ["DB_PASSWORD", true],
    ["dbPasswd", true],
    ["dbpassword", true],
    ["apiToken", true],
    ["API_TOKEN", true],
    ["tokens", true],
    ["clientSecret", true],
    ["SECRET", true],
    ["apiKey", true],
    ["APIKey", true],
    ["apikey", true],
    ["key", true],
    ["tls.key", true],
    ["privateKey", true],
    ["credentials", true],
    ["awsCredentials", true],
    ["passphrase", true],
    ["secretName", false],
    ["secretKeyRef", false],
    ["passwordFile", false],
    ["tokenPath", false],
    ["monkey", false],
    ["keyboard", false],
    ["replicas", false],
    ["host", false],
    ["LOG_LEVEL", false],
  ])("%s: %s", (key, want) => {
    expect(looksSecret(key)).toBe(want);
  });
});

describe("pathLooksSecret", () => {
  it.each([
    ["db.password", true],
    ["db.credentials.user", true],
    ["env.API_TOKEN", true],
    ["traits.ingress.tls.secretName", false],
    ["secrets.name", false],
    ["replicas", false],
  ])("%s: %s", (path, want) => {
    expect(pathLooksSecret(path)).toBe(want);
  });
});

describe("maskValue", () => {
  it("masks secret-looking keys at any depth, keeps the keys of a masked mapping, booleans and references", () => {
    const v = {
      replicas: 2,
      db: { host: "db", password: "hunter2", pool: { size: 5, apiKey: "k-123" } },
      credentials: { user: "admin", pin: 1234, enabled: true, name: "creds-v2" },
      tls: { key: "-----BEGIN KEY-----", secretName: "tls-cert" },
    };
    expect(maskValue(v)).toEqual({
      replicas: 2,
      db: { host: "db", password: MASK, pool: { size: 5, apiKey: MASK } },
      credentials: { user: MASK, pin: MASK, enabled: true, name: "creds-v2" },
      tls: { key: MASK, secretName: "tls-cert" },
    });
  });

  it("masks inside arrays: an env entry's value beside a secret-looking name, and objects in lists", () => {
    const v = {
      env: [
        { name: "DB_PASSWORD", value: "hunter2" },
        { name: "LOG_LEVEL", value: "debug" },
        { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "api", key: "token" } } },
      ],
      users: [{ login: "a", password: "x" }],
      tokens: ["t1", "t2"],
    };
    expect(maskValue(v)).toEqual({
      env: [
        { name: "DB_PASSWORD", value: MASK },
        { name: "LOG_LEVEL", value: "debug" },
        { name: "API_TOKEN", valueFrom: { secretKeyRef: { name: "api", key: "token" } } },
      ],
      users: [{ login: "a", password: MASK }],
      tokens: [MASK, MASK],
    });
  });

  it("masks the argument of a secret-looking flag in a list of strings", () => {
    expect(maskValue({ args: ["serve", "--token=abc", "--password", "hunter2", "--port", "80", "--api-key", "-v"] })).toEqual({
      args: ["serve", `--token=${MASK}`, "--password", MASK, "--port", "80", "--api-key", "-v"],
    });
  });

  it("in any other string: a URL's password, and a secret-looking --flag=value inside a script", () => {
    expect(
      maskValue({
        env: { DATABASE_URL: "postgres://app:hunter2@db:5432/app", HOME_PAGE: "https://example.com/a:b@c" },
        command: ["sh", "-c", "migrate --db-password=hunter2 --to 3 && serve --port=80"],
        image: "registry.example.com:5000/shop/api:3.0.6",
      }),
    ).toEqual({
      env: { DATABASE_URL: `postgres://app:${MASK}@db:5432/app`, HOME_PAGE: "https://example.com/a:b@c" },
      command: ["sh", "-c", `migrate --db-password=${MASK} --to 3 && serve --port=80`],
      image: "registry.example.com:5000/shop/api:3.0.6",
    });
  });

  it("a bare `key` in manifests is a selector, not a secret; in values it is one", () => {
    const tol = { tolerations: [{ key: "dedicated", operator: "Equal", value: "infra" }] };
    expect(maskValue(tol, { manifest: true })).toEqual(tol);
    expect(maskValue({ tls: { key: "pem" } })).toEqual({ tls: { key: MASK } });
  });
});

describe("maskPair says whether a masked value changed", () => {
  it.each([
    { name: "same", a: { password: "x" }, b: { password: "x" }, ma: { password: MASK }, mb: { password: MASK } },
    { name: "changed", a: { password: "x" }, b: { password: "y" }, ma: { password: MASK }, mb: { password: MASK_CHANGED } },
    { name: "added", a: {}, b: { password: "y" }, ma: {}, mb: { password: MASK } },
    { name: "nested changed", a: { db: { token: "a", host: "h" } }, b: { db: { token: "b", host: "h" } }, ma: { db: { token: MASK, host: "h" } }, mb: { db: { token: MASK_CHANGED, host: "h" } } },
    {
      name: "env entries matched by name, not by place",
      a: { env: [{ name: "A", value: "1" }, { name: "DB_PASSWORD", value: "p" }] },
      b: { env: [{ name: "NEW", value: "0" }, { name: "A", value: "1" }, { name: "DB_PASSWORD", value: "p" }] },
      ma: { env: [{ name: "A", value: "1" }, { name: "DB_PASSWORD", value: MASK }] },
      mb: { env: [{ name: "NEW", value: "0" }, { name: "A", value: "1" }, { name: "DB_PASSWORD", value: MASK }] },
    },
    { name: "flag argument changed", a: { args: ["--token=a"] }, b: { args: ["--token=b"] }, ma: { args: [`--token=${MASK}`] }, mb: { args: [`--token=${MASK_CHANGED}`] } },
  ])("$name", ({ a, b, ma, mb }) => {
    expect(maskPair<unknown>(a, b)).toEqual([ma, mb]);
  });
});

const key = (over: Partial<KeyChange>): KeyChange => ({ path: "x", change: "changed", ...over });

describe("maskKeyChange: the values of a diff", () => {
  it.each([
    { name: "a secret path changed", k: key({ path: "db.password", from: "a", to: "b" }), from: MASK, to: MASK_CHANGED },
    { name: "a secret path added", k: key({ path: "env.API_TOKEN", change: "added", to: "t" }), from: undefined, to: MASK },
    { name: "a secret path removed", k: key({ path: "auth.token", change: "removed", from: "t" }), from: MASK, to: undefined },
    { name: "a reference stays", k: key({ path: "tls.secretName", from: "a", to: "b" }), from: "a", to: "b" },
    { name: "a plain value stays", k: key({ path: "replicas", from: 1, to: 2 }), from: 1, to: 2 },
    {
      name: "an array compared whole is masked inside",
      k: key({ path: "traits.envs", from: [{ name: "DB_PASSWORD", value: "a" }], to: [{ name: "DB_PASSWORD", value: "b" }] }),
      from: [{ name: "DB_PASSWORD", value: MASK }],
      to: [{ name: "DB_PASSWORD", value: MASK_CHANGED }],
    },
  ])("$name", ({ k, from, to }) => {
    const m = maskKeyChange(k);
    expect(m.from).toEqual(from);
    expect(m.to).toEqual(to);
    expect("from" in m).toBe(k.from !== undefined);
  });

  it("masks values, metadata, the steps a move runs and edited steps of every release", () => {
    const r: ReleaseChange = {
      key: "dev/shop/api",
      name: "shop-api",
      cluster: "dev",
      change: "changed",
      chart: { from: "webservice 1.0.0", to: "webservice 1.0.0" },
      version: { from: "1.0.0", to: "1.1.0", move: "upgrade" },
      steps: [{ kind: "run", from: ">=1.0.0 <1.1.0", to: "1.1.0", step: { image: "api", args: ["migrate", "--db-password=hunter2"], env: { DB_TOKEN: "t" } } }],
      upgrades: [{ change: "changed", from: ">=1.0.0 <1.1.0", to: "1.1.0", fields: [key({ path: "run.env.DB_TOKEN", from: "t", to: "u" })] }],
      release: [key({ path: "external.password", from: "a", to: "b" })],
      values: [key({ path: "config.apiKey", from: "k1", to: "k2" })],
      chartFiles: false,
    };
    const d: RenderDiff = { charts: [], releases: [r] };
    const text = JSON.stringify(maskDiff(d));
    for (const secret of ["hunter2", '"t"', '"u"', '"a"', '"b"', "k1", "k2"]) expect(text).not.toContain(secret);
    const m = maskDiff(d).releases[0]!;
    expect(m.steps[0]!.step).toEqual({ image: "api", args: ["migrate", `--db-password=${MASK}`], env: { DB_TOKEN: MASK } });
    expect(m.values[0]!.to).toBe(MASK_CHANGED);
    // the input is left as it was
    expect(r.values[0]!.to).toBe("k2");
  });
});

describe("the objects of rendered manifests", () => {
  const dep = (pw: string, showMore = "") =>
    splitManifest(
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api }\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          args: ["--token", "${pw}"]\n          env:\n            - { name: DB_PASSWORD, value: "${pw}" }\n            - { name: MODE, value: "${showMore || "a"}" }\n`,
      "shop",
    );
  const cm = (v: string) => splitManifest(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata: { api.key: "${v}", mode: fast }\n`, "shop");
  const secret = (v: string) => splitManifest(`apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata: { user: ${v} }\nstringData: { note: "${v}-plain" }\n`, "shop");

  it("an env value and a flag argument under secret-looking names are masked, and say that they changed", () => {
    const p = diffObjects(dep("old-pw"), dep("new-pw")).changes[0]!.patch;
    expect(p).not.toMatch(/old-pw|new-pw/);
    expect(p).toContain(`-              value: ${MASK}\n+              value: ${MASK_CHANGED}`);
    expect(p).toContain(`-            - ${MASK}\n+            - ${MASK_CHANGED}`);
  });

  it("a change elsewhere in the object leaves the unchanged masked value masked and unmarked", () => {
    const p = diffObjects(dep("pw"), dep("pw", "b")).changes[0]!.patch;
    expect(p).toContain(`               value: ${MASK}\n`);
    expect(p).not.toContain(MASK_CHANGED);
    expect(p).toContain("-              value: a\n+              value: b");
  });

  it("a ConfigMap key that looks secret is masked; the others show", () => {
    const p = diffObjects(cm("k1"), cm("k2")).changes[0]!.patch;
    expect(p).toContain(`-  api.key: ${MASK}\n+  api.key: ${MASK_CHANGED}`);
    expect(p).toContain("   mode: fast");
  });

  it("a Secret's data and stringData, whatever their keys", () => {
    const p = diffObjects(secret("YQ=="), secret("Yg==")).changes[0]!.patch;
    expect(p).not.toMatch(/YQ==|Yg==|plain/);
    expect(p).toContain(`+  user: ${MASK_CHANGED}`);
    expect(p).toContain(`+  note: ${MASK_CHANGED}`);
  });

  it("--show-secrets shows them all", () => {
    const p = diffObjects(dep("old-pw"), dep("new-pw"), { showSecrets: true }).changes[0]!.patch;
    expect(p).toContain("+            - new-pw");
    expect(p).toContain("+              value: new-pw");
    expect(diffObjects(secret("YQ=="), secret("Yg=="), { showSecrets: true }).changes[0]!.patch).toContain("+  user: Yg==");
    expect(diffObjects(cm("k1"), cm("k2"), { showSecrets: true }).changes[0]!.patch).toContain("+  api.key: k2");
  });
});
