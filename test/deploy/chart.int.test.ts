// berth's own chart: it lints, refuses values that cannot work, installs into
// a local cluster (kwok makes the pod Ready whatever the image), and its RBAC
// lets the service account do what berth does - and no more for the Lease.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { afterAll, describe, expect, inject, it } from "vitest";
import { kubeFor } from "../reconcile/fixture.ts";

const [east] = inject("clusters");
const binaries = inject("binaries");
const CHART = join(import.meta.dirname, "..", "..", "deploy", "berth");
const NS = "berth-system";
const kube = ["--kubeconfig", east!.kubeconfig, "--kube-context", east!.name];

const helm = (args: string[]) => execa(binaries.helm, args, { reject: false });
const canI = async (verb: string, resource: string, ns?: string) => {
  const r = await execa(binaries.kubectl, ["--kubeconfig", east!.kubeconfig, "auth", "can-i", verb, resource, "--as", `system:serviceaccount:${NS}:berth`, ...(ns ? ["-n", ns] : ["--all-namespaces"])], { reject: false });
  return r.stdout.trim();
};

afterAll(async () => {
  await helm(["uninstall", "berth", "-n", NS, "--wait", ...kube]);
  await kubeFor(east!).core.deleteNamespacedSecret({ name: "berth-auth", namespace: NS }).catch(() => undefined);
});

describe("deploy/berth", () => {
  it.each([
    ["default values", []],
    ["every option on", ["--set", "source.url=https://git.example.com/defs.git", "--set", "webhook.secret=s", "--set", "serviceMonitor.enabled=true", "--set", "leaderElection.enabled=true", "--set", "replicaCount=2", "--set", "kubeconfigSecret=kc", "--set", "rbac.impersonate=true", "--set", "requireProject=true", "--set", "chartRepositories.credentialsSecret=rc", "--set", "chartRepositories.allowUrls={https://c.example}", "--set", "auth.existingSecret=berth-auth", "--set", "source.tokenSecret=git-token"]],
    ["three sharded replicas", ["--set", "source.url=x", "--set", "leaderElection.enabled=true", "--set", "replicaCount=3", "--set", "sharding.shards=6", "--set", "leaderElection.leaseDuration=10"]],
  ])("helm lint --strict passes with %s", async (_n, extra) => {
    const r = await helm(["lint", "--strict", CHART, ...extra]);
    expect(r.stdout + r.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(r.exitCode).toBe(0);
  });

  it.each([
    ["no source.url", [], /source\.url is required/],
    ["two replicas without leader election", ["--set", "source.url=x", "--set", "replicaCount=2"], /replicaCount > 1 needs leaderElection\.enabled=true/],
    ["shards without leader election", ["--set", "source.url=x", "--set", "sharding.shards=6"], /sharding\.shards needs leaderElection\.enabled=true/],
  ])("helm template refuses %s", async (_n, extra, message) => {
    const r = await helm(["template", "berth", CHART, ...extra]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it("confines Cluster kubeconfigs to the mounted Secret, and impersonates ServiceAccounts only when asked", async () => {
    const args = async (extra: string[]) => {
      const r = await helm(["template", "berth", CHART, "--set", "source.url=x", ...extra]);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
      const dep = docs.find((d) => d?.kind === "Deployment") as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
      const role = docs.find((d) => d?.kind === "ClusterRole") as { rules: Array<{ resources: string[]; verbs: string[] }> };
      return { args: dep.spec.template.spec.containers[0]!.args, impersonates: role.rules.some((x) => x.verbs.includes("impersonate")) };
    };
    const plain = await args([]);
    expect(plain.args.some((a) => a.startsWith("--kubeconfig-dir"))).toBe(false);
    expect(plain.impersonates).toBe(false);
    const on = await args(["--set", "kubeconfigSecret=kc", "--set", "rbac.impersonate=true", "--set", "requireProject=true"]);
    expect(on.args).toEqual(expect.arrayContaining(["--kubeconfig-dir=/etc/berth/kubeconfigs", "--require-project"]));
    expect(on.impersonates).toBe(true);
    const repos = await args(["--set", "chartRepositories.credentialsSecret=repo-creds", "--set", "chartRepositories.allowUrls={https://charts.example,oci://reg.example/charts}"]);
    expect(repos.args).toEqual(expect.arrayContaining(["--repository-credentials-dir=/etc/berth/repositories", "--repository-url-allow=https://charts.example", "--repository-url-allow=oci://reg.example/charts"]));
    expect(plain.args.some((a) => a.startsWith("--repository-"))).toBe(false);
    const token = await args(["--set", "source.tokenSecret=git-token", "--set", "source.username=bot"]);
    expect(token.args).toEqual(expect.arrayContaining(["--git-token-file=/etc/berth/git/token", "--git-username=bot"]));
    expect(plain.args.some((a) => a.startsWith("--git-"))).toBe(false);
  });

  it("serves probes, metrics and the webhook on their own port with and without tokens; the API off loopback only with auth.existingSecret", async () => {
    type Probe = { httpGet: { path: string; port: string } };
    type Container = { args: string[]; ports: Array<{ name: string; containerPort: number }>; livenessProbe: Probe; readinessProbe: Probe; startupProbe: Probe; volumeMounts: Array<{ name: string; mountPath: string; subPath?: string }> };
    const render = async (extra: string[]) => {
      const r = await helm(["template", "berth", CHART, "--set", "source.url=x", "--set", "serviceMonitor.enabled=true", ...extra]);
      expect(r.exitCode, r.stderr).toBe(0);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
      const dep = docs.find((d) => d?.kind === "Deployment") as { spec: { template: { spec: { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string } }> } } } };
      const svc = docs.find((d) => d?.kind === "Service") as { spec: { ports: Array<{ name: string; port: number; targetPort: string }> } };
      const monitor = docs.find((d) => d?.kind === "ServiceMonitor") as { spec: { endpoints: Array<{ port: string; path: string }> } };
      return { c: dep.spec.template.spec.containers[0]!, volumes: dep.spec.template.spec.volumes, svc, monitor };
    };
    for (const extra of [[], ["--set", "auth.existingSecret=berth-auth"]]) {
      const { c, svc, monitor } = await render(extra);
      expect(c.args).toContain("--probe-port=8081");
      expect(c.ports).toEqual([expect.objectContaining({ name: "http", containerPort: 8080 }), expect.objectContaining({ name: "probes", containerPort: 8081 })]);
      for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) expect(p.httpGet.port).toBe("probes");
      expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path]).toEqual(["/healthz", "/readyz"]);
      expect(svc.spec.ports).toEqual([expect.objectContaining({ name: "http", port: 8080, targetPort: "http" }), expect.objectContaining({ name: "probes", port: 8081, targetPort: "probes" })]);
      expect(monitor.spec.endpoints[0]).toMatchObject({ port: "probes", path: "/metrics" });
    }
    const open = await render([]);
    expect(open.c.args.some((a) => a.startsWith("--host") || a.startsWith("--auth-file"))).toBe(false);
    expect(open.volumes.some((v) => v.name === "auth")).toBe(false);
    const withAuth = await render(["--set", "auth.existingSecret=berth-auth", "--set", "auth.key=tokens.yaml"]);
    expect(withAuth.c.args).toEqual(expect.arrayContaining(["--host=0.0.0.0", "--auth-file=/etc/berth/auth/tokens.yaml"]));
    expect(withAuth.volumes).toContainEqual({ name: "auth", secret: { secretName: "berth-auth" } });
    // a directory, not a subPath: an edited Secret reaches the pod, and berth reads the file again
    expect(withAuth.c.volumeMounts).toContainEqual({ name: "auth", mountPath: "/etc/berth/auth", readOnly: true });
  });

  it("runs N sharded replicas: --shards with the lease flags, a PodDisruptionBudget of one at a time, and Leases it may list and delete", async () => {
    const render = async (extra: string[]) => {
      const r = await helm(["template", "berth", CHART, "--set", "source.url=x", ...extra]);
      expect(r.exitCode).toBe(0);
      return parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; spec?: Record<string, unknown>; rules?: Array<{ apiGroups: string[]; verbs: string[] }> });
    };
    const docs = await render(["--set", "leaderElection.enabled=true", "--set", "replicaCount=3", "--set", "sharding.shards=6"]);
    const dep = docs.find((d) => d.kind === "Deployment")!.spec as { replicas: number; template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string }> }> } } };
    expect(dep.replicas).toBe(3);
    const c = dep.template.spec.containers[0]!;
    expect(c.args).toEqual(expect.arrayContaining(["--leader-elect", "--shards=6", "--lease-duration=15", "--lease-namespace=default"]));
    // each replica is named by its pod in the Leases
    expect(c.env.map((e) => e.name)).toContain("POD_NAME");
    const pdb = docs.find((d) => d.kind === "PodDisruptionBudget")!;
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "berth" } } });
    const lease = docs.find((d) => d.kind === "Role" && d.metadata?.name === "berth-lease")!;
    expect(lease.rules![0]).toMatchObject({ apiGroups: ["coordination.k8s.io"], verbs: expect.arrayContaining(["get", "list", "create", "update", "delete"]) });
    // one replica: no budget (it would block every drain), no --shards
    const one = await render([]);
    expect(one.some((d) => d.kind === "PodDisruptionBudget")).toBe(false);
    const args = (one.find((d) => d.kind === "Deployment")!.spec as typeof dep).template.spec.containers[0]!.args;
    expect(args.some((a) => a.startsWith("--shards"))).toBe(false);
  });

  it("renders a ServiceMonitor only when asked", async () => {
    const off = await helm(["template", "berth", CHART, "--set", "source.url=x"]);
    const on = await helm(["template", "berth", CHART, "--set", "source.url=x", "--set", "serviceMonitor.enabled=true"]);
    expect(off.stdout).not.toContain("kind: ServiceMonitor");
    expect(on.stdout).toContain("kind: ServiceMonitor");
  });

  it("its ClusterRole lets berth create, patch and delete every kind the built-in charts render", async () => {
    const templates = join(import.meta.dirname, "..", "..", "charts-template");
    const kinds = new Set<string>();
    for (const f of (await readdir(templates, { recursive: true })).filter((x) => x.endsWith(".yaml.hbs"))) {
      const text = await readFile(join(templates, f), "utf8");
      const m = /^apiVersion: (\S+)\s*\nkind: (\w+)/m.exec(text);
      if (m) kinds.add(`${m[1]!.includes("/") ? m[1]!.split("/")[0] : ""}/${m[2]}`);
    }
    expect(kinds.size).toBeGreaterThanOrEqual(7);
    const rendered = await helm(["template", "berth", CHART, "--set", "source.url=x"]);
    const role = parseAllDocuments(rendered.stdout).map((d) => d.toJS()).find((d) => d?.kind === "ClusterRole") as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> };
    const plural = (kind: string) => (kind.endsWith("s") ? `${kind}es` : kind.endsWith("y") ? `${kind.slice(0, -1)}ies` : `${kind}s`).toLowerCase();
    for (const k of kinds) {
      const [group, kind] = k.split("/") as [string, string];
      const verbs = new Set(role.rules.filter((r) => r.apiGroups.includes(group) && r.resources.includes(plural(kind))).flatMap((r) => r.verbs));
      for (const v of ["get", "list", "create", "patch", "delete"]) expect(verbs.has(v), `${v} ${plural(kind)}.${group || "core"}`).toBe(true);
    }
  });

  it("installs into a local cluster with tokens from a Secret and becomes available, probes on /healthz and /readyz", async () => {
    const { apps, core } = kubeFor(east!);
    await core.createNamespace({ body: { metadata: { name: NS } } }).catch(() => undefined);
    const tokens = "tokens:\n  - { name: chart-test, sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, role: viewer }\n";
    await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: "berth-auth" }, stringData: { "auth.yaml": tokens } } }).catch(() => undefined);
    const r = await helm([
      "install", "berth", CHART, "-n", NS, ...kube, "--wait", "--timeout", "180s",
      "--set", "source.url=https://git.example.com/defs.git", "--set", "webhook.secret=chart-test-secret", "--set", "auth.existingSecret=berth-auth",
    ]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const d = await apps.readNamespacedDeployment({ name: "berth", namespace: NS });
    expect(d.status?.availableReplicas).toBe(1);
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "probes" });
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "probes" });
    expect(c.args).toEqual(expect.arrayContaining(["serve", "--source=https://git.example.com/defs.git", "--webhook-secret-file=/etc/berth/webhook/secret", "--probe-port=8081", "--host=0.0.0.0", "--auth-file=/etc/berth/auth/auth.yaml"]));
    expect(d.spec!.template.spec!.securityContext?.runAsNonRoot).toBe(true);
    const svc = await core.readNamespacedService({ name: "berth", namespace: NS });
    expect(svc.spec?.ports).toEqual([expect.objectContaining({ name: "http", port: 8080 }), expect.objectContaining({ name: "probes", port: 8081 })]);
    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: "app.kubernetes.io/name=berth" });
    expect(pods.items.map((p) => p.status?.conditions?.find((x) => x.type === "Ready")?.status)).toEqual(["True"]);
  });

  it.each([
    ["create", "secrets", undefined, "yes"],
    ["create", "configmaps", undefined, "yes"],
    ["create", "namespaces", undefined, "yes"],
    ["create", "jobs.batch", undefined, "yes"],
    ["get", "pods/log", undefined, "yes"],
    ["patch", "deployments.apps", undefined, "yes"],
    ["create", "statefulsets.apps", undefined, "yes"],
    ["create", "leases.coordination.k8s.io", NS, "yes"],
    ["list", "leases.coordination.k8s.io", NS, "yes"],
    ["delete", "leases.coordination.k8s.io", NS, "yes"],
    ["delete", "leases.coordination.k8s.io", "kube-system", "no"],
    ["create", "leases.coordination.k8s.io", "kube-system", "no"],
    ["create", "clusterroles.rbac.authorization.k8s.io", undefined, "no"],
    // impersonation is opt-in (rbac.impersonate), and never of groups
    ["impersonate", "serviceaccounts", undefined, "no"],
    ["impersonate", "groups", undefined, "no"],
  ])("the service account may %s %s (%s): %s", async (verb, resource, ns, want) => {
    expect(await canI(verb, resource, ns)).toBe(want);
  });
});
