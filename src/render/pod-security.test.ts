// Secure defaults in generated values, and the knobs that change them in git:
// a Component's container fields, an entry's or an Overlay's values, a
// WorkloadDefinition's defaults; what an upgrade step starts from.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { loadRepo } from "../model/load.ts";
import { overlaySecurityContext } from "../model/pod-security.ts";
import type { ReleaseSpec } from "../model/types.ts";
import { resolveReleases } from "./resolve.ts";
import { releaseStepSecurity } from "./values-layout.ts";

const H = "apiVersion: berth.dev/v1alpha1\n";
const cluster = `${H}kind: Cluster\nmetadata: { name: c1 }\nspec: { kubeconfig: { inCluster: true } }\n`;
const probes = `    health:
      liveness: { httpGet: { path: /l, port: http } }
      readiness: { httpGet: { path: /r, port: http } }
      startup: { httpGet: { path: /s, port: http } }
`;
const component = (container = "", extra = "") => `${H}kind: Component
metadata: { name: api }
spec:
  version: 1.0.0
  workload: webservice
  container:
    image: registry.example.com/api
    ports: [{ name: http, port: 8080 }]
${probes}${container}${extra}`;
const app = (entry = "") => `${H}kind: Application
metadata: { name: shop }
spec:
  namespace: shop
  components:
    - name: api
      component: api
      version: "^1.0.0"
${entry}`;

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function load(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "berth-podsec-"));
  dirs.push(dir);
  for (const [p, t] of Object.entries({ "clusters/c1.yaml": cluster, ...files })) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  return loadRepo(dir);
}

async function release(files: Record<string, string>): Promise<ReleaseSpec> {
  const rs = resolveReleases(await load(files));
  expect(rs).toHaveLength(1);
  return rs[0]!;
}

async function issues(files: Record<string, string>): Promise<string[]> {
  try {
    await load(files);
    return [];
  } catch (err) {
    if (err instanceof ValidationError) return err.issues.map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`);
    throw err;
  }
}

const restricted = {
  podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
  defaultSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
  securityContext: {},
  tmpDir: { enabled: true, mountPath: "/tmp" },
};

describe("secure defaults in a generated release's values", () => {
  it("are Pod Security restricted, with the built-in workload's user and group ids and a writable /tmp", async () => {
    const r = await release({ "components/api.yaml": component(), "apps/shop.yaml": app() });
    expect(r.values).toMatchObject(restricted);
    const step = releaseStepSecurity(r)!;
    expect(step.pod).toEqual(restricted.podSecurityContext);
    expect(step.container).toEqual(restricted.defaultSecurityContext);
  });

  it("a Component's container fields set the main container's pull policy, securityContext and resources", async () => {
    const r = await release({
      "components/api.yaml": component(`    imagePullPolicy: Always
    resources: { requests: { cpu: 100m, ephemeral-storage: 100Mi }, limits: { memory: 256Mi, ephemeral-storage: 1Gi } }
    securityContext: { runAsNonRoot: false, runAsUser: 0, readOnlyRootFilesystem: false }
`),
      "apps/shop.yaml": app(),
    });
    expect(r.values.image).toEqual({ repository: "registry.example.com/api", tag: "1.0.0", pullPolicy: "Always" });
    expect(r.values.resources).toEqual({ requests: { cpu: "100m", "ephemeral-storage": "100Mi" }, limits: { memory: "256Mi", "ephemeral-storage": "1Gi" } });
    expect(r.values.securityContext).toEqual({ runAsNonRoot: false, runAsUser: 0, readOnlyRootFilesystem: false });
    // the defaults stay as they were: sidecars and init containers still start from them
    expect(r.values.defaultSecurityContext).toEqual(restricted.defaultSecurityContext);
    // its steps run as its main container does
    expect(releaseStepSecurity(r)!.container).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: false, runAsUser: 0, readOnlyRootFilesystem: false });
  });

  it("an entry's and an Overlay's values override them, the Overlay last", async () => {
    const r = await release({
      "components/api.yaml": component("    securityContext: { readOnlyRootFilesystem: false }\n"),
      "apps/shop.yaml": app(`      values:
        podSecurityContext: { runAsUser: 20000 }
        securityContext: { capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] } }
        tmpDir: { sizeLimit: 64Mi }
`),
      "overlays/o.yaml": `${H}kind: Overlay
metadata: { name: o }
spec:
  application: shop
  clusters: [c1]
  components:
    api: { values: { securityContext: { readOnlyRootFilesystem: true } } }
`,
    });
    expect(r.values.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 20000, runAsGroup: 10001 });
    expect(r.values.securityContext).toEqual({ readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } });
    expect(r.values.tmpDir).toEqual({ enabled: true, mountPath: "/tmp", sizeLimit: "64Mi" });
  });

  it("a WorkloadDefinition's defaults set the platform's policy", async () => {
    const r = await release({
      "components/api.yaml": component().replace("workload: webservice", "workload: hardened"),
      "apps/shop.yaml": app(),
      "definitions/hardened.yaml": `${H}kind: WorkloadDefinition
metadata: { name: hardened }
spec:
  version: 1.0.0
  workloadKind: Deployment
  defaults:
    podSecurityContext: { runAsUser: 65532, runAsGroup: 65532 }
    resources: { limits: { memory: 512Mi, ephemeral-storage: 2Gi } }
    tmpDir: { enabled: false }
  templates: [t/deployment.yaml]
`,
      "definitions/t/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: x }\n",
    });
    expect(r.values.podSecurityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, runAsUser: 65532, runAsGroup: 65532 });
    expect(r.values.resources).toEqual({ limits: { memory: "512Mi", "ephemeral-storage": "2Gi" } });
    expect(r.values.tmpDir).toEqual({ enabled: false, mountPath: "/tmp" });
  });

  it("a third-party chart's values are its own: its steps start from the restricted defaults", () => {
    const values = { podSecurityContext: { runAsUser: 0 }, securityContext: { privileged: true } };
    expect(releaseStepSecurity({ values, chart: { name: "x", version: "1.0.0", source: { path: "charts/x" } }, workloadKind: "Chart" })).toBeUndefined();
  });
});

describe("the Component's container and step fields are checked", () => {
  it.each([
    ["an unknown pull policy", "    imagePullPolicy: Sometimes\n", /spec\.container\.imagePullPolicy: must be one of "Always", "IfNotPresent", "Never", got "Sometimes"/],
    ["a misspelt securityContext key", "    securityContext: { runAsNonroot: false }\n", /spec\.container\.securityContext\.runAsNonroot: unknown field "runAsNonroot"; allowed here: .*runAsNonRoot/],
    ["a resources key that is neither requests nor limits", "    resources: { limit: { memory: 1Gi } }\n", /spec\.container\.resources\.limit: unknown field "limit"; allowed here: requests, limits/],
  ])("%s", async (_name, container, want) => {
    expect((await issues({ "components/api.yaml": component(container), "apps/shop.yaml": app() })).join("\n")).toMatch(want);
  });

  it("a step takes imagePullPolicy, resources and securityContext", async () => {
    const steps = `  upgrades:
    - from: ">=0.9.0 <1.0.0"
      to: 1.0.0
      run:
        image: registry.example.com/migrate
        imagePullPolicy: IfNotPresent
        resources: { limits: { memory: 1Gi } }
        securityContext: { readOnlyRootFilesystem: false }
`;
    const r = await release({ "components/api.yaml": component("", steps), "apps/shop.yaml": app() });
    expect(r.upgrades[0]!.run).toMatchObject({ imagePullPolicy: "IfNotPresent", resources: { limits: { memory: "1Gi" } }, securityContext: { readOnlyRootFilesystem: false } });
  });
});

describe("overlaySecurityContext", () => {
  it.each([
    ["a later false replaces a true", [{ readOnlyRootFilesystem: true }, { readOnlyRootFilesystem: false }], { readOnlyRootFilesystem: false }],
    ["a key replaces the whole value", [{ capabilities: { drop: ["ALL"] } }, { capabilities: { add: ["NET_BIND_SERVICE"] } }], { capabilities: { add: ["NET_BIND_SERVICE"] } }],
    ["null removes a key", [{ runAsUser: 10001, runAsNonRoot: true }, { runAsUser: null }], { runAsNonRoot: true }],
    ["none at all", [undefined, {}], {}],
  ])("%s", (_name, contexts, want) => {
    expect(overlaySecurityContext(...contexts)).toEqual(want);
  });
});

describe("list traits written as one object", () => {
  const entry = (traits: string) => `      traits:\n${traits}`;
  it("a sidecar given as one object is a sidecar list of one, with its own pull policy and securityContext", async () => {
    const r = await release({
      "components/api.yaml": component(),
      "apps/shop.yaml": app(entry("        sidecar: { name: metrics, image: prom/exporter:1.0, imagePullPolicy: IfNotPresent, securityContext: { runAsUser: 65534 } }\n")),
    });
    expect(r.values.traits).toMatchObject({ sidecar: { enabled: true, items: [{ name: "metrics", image: "prom/exporter:1.0", imagePullPolicy: "IfNotPresent", securityContext: { runAsUser: 65534 } }] } });
  });

  it.each([
    ["a field of the object, at the field as written", "        sidecar: { name: metrics, image: 1 }\n", /apps\/shop\.yaml:\d+ spec\.components\[0\]\.traits\.sidecar\.image: must be with its tag, got a number 1/],
    ["a field the object lacks, named at the object", "        init: { name: wait }\n", /spec\.components\[0\]\.traits\.init\.image: required field is missing/],
  ])("%s", async (_n, traits, want) => {
    const got = await issues({ "components/api.yaml": component(), "apps/shop.yaml": app(entry(traits)) });
    expect(got.join("\n")).toMatch(want);
    expect(got.join("\n")).not.toMatch(/\[0\]\.(image|name)|must be array/);
  });

  it("an Overlay's single object replaces the entry's list", async () => {
    const r = await release({
      "components/api.yaml": component(),
      "apps/shop.yaml": app(entry("        envs: [{ name: A, value: '1' }, { name: B, value: '2' }]\n")),
      "overlays/o.yaml": `${H}kind: Overlay\nmetadata: { name: o }\nspec:\n  application: shop\n  clusters: [c1]\n  components:\n    api: { traits: { envs: { name: C, value: '3' } } }\n`,
    });
    expect((r.values.traits as Record<string, unknown>).envs).toEqual({ enabled: true, items: [{ name: "C", value: "3" }] });
  });
});

describe("disruptionBudget: on by default where there are replicas to keep", () => {
  const traitsOf = async (entry: string, overlay?: string) => {
    const files: Record<string, string> = { "components/api.yaml": component(), "apps/shop.yaml": app(entry) };
    if (overlay) files["overlays/o.yaml"] = `${H}kind: Overlay\nmetadata: { name: o }\nspec:\n  application: shop\n  clusters: [c1]\n  components:\n    api: ${overlay}\n`;
    return (await release(files)).values.traits as Record<string, unknown>;
  };
  it.each([
    ["one replica: off", "", undefined, { enabled: false }],
    ["2 replicas: on, maxUnavailable 1 in the template", "      replicas: 2\n", undefined, { enabled: true }],
    ["an autoscaler: on", "      traits: { autoscaler: { max: 5 } }\n", undefined, { enabled: true }],
    ["an Overlay's replicas count", "", "{ replicas: 3 }", { enabled: true }],
    ["false keeps it off", "      replicas: 4\n      traits: { disruptionBudget: false }\n", undefined, { enabled: false }],
    ["an Overlay's false too", "      replicas: 4\n", "{ traits: { disruptionBudget: false } }", { enabled: false }],
    ["its own settings when named", "      traits: { disruptionBudget: { minAvailable: 1 } }\n", undefined, { enabled: true, minAvailable: 1 }],
    ["raw values that name it decide", "      replicas: 4\n      values: { traits: { disruptionBudget: { enabled: false } } }\n", undefined, { enabled: false }],
  ])("%s", async (_n, entry, overlay, want) => {
    expect((await traitsOf(entry, overlay)).disruptionBudget).toEqual(want);
  });

  it("refuses both minAvailable and maxUnavailable", async () => {
    const got = await issues({ "components/api.yaml": component(), "apps/shop.yaml": app("      traits: { disruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }\n") });
    expect(got.join("\n")).toMatch(/traits\.disruptionBudget/);
  });
});

describe("networkPolicy", () => {
  it.each([
    ["a peer with nothing in it", "{ from: [{}] }", /traits\.networkPolicy\.from\[0\]/],
    ["an unknown peer field", "{ from: [{ namespaces: [a] }] }", /traits\.networkPolicy\.from\[0\]\.namespaces: unknown field/],
  ])("refuses %s", async (_n, value, want) => {
    const got = await issues({ "components/api.yaml": component(), "apps/shop.yaml": app(`      traits: { networkPolicy: ${value} }\n`) });
    expect(got.join("\n")).toMatch(want);
  });

  it("takes namespaces, pod labels and ports", async () => {
    const r = await release({ "components/api.yaml": component(), "apps/shop.yaml": app("      traits: { networkPolicy: { from: [{ namespace: ingress }, { pods: { app: web } }], ports: [http, 9090] } }\n") });
    expect((r.values.traits as Record<string, unknown>).networkPolicy).toEqual({ enabled: true, from: [{ namespace: "ingress" }, { pods: { app: "web" } }], ports: ["http", 9090] });
  });
});
