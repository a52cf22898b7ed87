// Renders a generated repository of 1,000 releases (100 applications x 5
// components x 2 clusters) and prints wall time, time per release, peak RSS
// and the ratio to ~1,000 `helm template` processes (~50 ms each here).
// Run: npm run bench:render   (or: npx tsx bench/render.ts)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRepo } from "../src/model/load.ts";
import { outputFiles, renderRepo } from "../src/render/output.ts";

const APPS = 100;
const CLUSTERS = ["east", "west"];
const HELM_TEMPLATE_MS = 50;
const KINDS = ["webservice", "worker", "stateful", "task", "webservice"] as const;
const probes = `    health:
      liveness: { httpGet: { path: /livez, port: http } }
      readiness: { httpGet: { path: /readyz, port: http } }
      startup: { httpGet: { path: /startz, port: http }, failureThreshold: 30 }`;

function generate(root: string): void {
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  for (const c of CLUSTERS) {
    write(`clusters/${c}.yaml`, `apiVersion: berth.dev/v1alpha1\nkind: Cluster\nmetadata: { name: ${c}, labels: { env: prod, region: ${c} } }\nspec: {}\n`);
  }
  for (let a = 0; a < APPS; a++) {
    const app = `app${a}`;
    const entries: string[] = [];
    KINDS.forEach((kind, k) => {
      const comp = `${app}-c${k}`;
      for (const version of ["1.0.0", "1.1.0"]) {
        write(
          `components/${comp}-${version}.yaml`,
          `apiVersion: berth.dev/v1alpha1
kind: Component
metadata: { name: ${comp} }
spec:
  version: ${version}
  workload: ${kind}
  container:
    image: registry.example.com/${app}/${comp}
    args: ["serve"]
    env: { LOG_LEVEL: info, APP: ${app} }
    ports: [{ name: http, port: 8080 }]
    resources: { requests: { cpu: 100m, memory: 64Mi } }
${kind === "webservice" || kind === "stateful" ? probes : ""}
  config:
    schema: { type: object, properties: { featureX: { type: boolean, default: false } } }
${version === "1.1.0" ? `  upgrades:\n    - { from: ">=1.0.0 <1.1.0", to: 1.1.0, run: { image: registry.example.com/${app}/migrate, args: [up] } }\n` : ""}`,
        );
      }
      const traits =
        kind === "webservice"
          ? `      traits:\n        ingress: { host: ${comp}.example.com }\n        envs: [{ name: DB_PASSWORD, valueFrom: { secret: { name: db, key: password } } }]\n`
          : kind === "stateful"
            ? `      traits:\n        storage: [{ type: persistent, name: data, mountPath: /data, size: 1Gi }]\n`
            : "";
      entries.push(`    - name: c${k}\n      component: ${comp}\n      version: "^1.0.0"\n${k > 0 ? `      dependsOn: [c${k - 1}]\n` : ""}${traits}`);
    });
    write(
      `apps/${app}.yaml`,
      `apiVersion: berth.dev/v1alpha1\nkind: Application\nmetadata: { name: ${app} }\nspec:\n  namespace: ${app}\n  components:\n${entries.join("")}  placement: { clusterSelector: { env: prod } }\n`,
    );
    write(
      `overlays/${app}-east.yaml`,
      `apiVersion: berth.dev/v1alpha1\nkind: Overlay\nmetadata: { name: ${app}-east }\nspec:\n  application: ${app}\n  clusters: [east]\n  components:\n    c0: { replicas: 3, config: { featureX: true } }\n`,
    );
  }
}

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const timer = setInterval(sample, 5);

const root = mkdtempSync(join(tmpdir(), "berth-bench-"));
try {
  generate(root);
  sample();
  const t0 = performance.now();
  const repo = await loadRepo(root);
  const t1 = performance.now();
  const rendered = renderRepo(repo);
  const files = outputFiles(rendered);
  const t2 = performance.now();
  sample();
  clearInterval(timer);
  const n = rendered.releases.length;
  const total = t2 - t0;
  const helm = n * HELM_TEMPLATE_MS;
  const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
  console.log(`releases:          ${n} (${APPS} applications x ${KINDS.length} components x ${CLUSTERS.length} clusters)`);
  console.log(`files written:     ${Object.keys(files).length} (in memory)`);
  console.log(`load + validate:   ${(t1 - t0).toFixed(0)} ms`);
  console.log(`render:            ${(t2 - t1).toFixed(0)} ms`);
  console.log(`wall time:         ${total.toFixed(0)} ms (goal < 3000 ms)`);
  console.log(`per release:       ${(total / n).toFixed(2)} ms`);
  console.log(`peak RSS:          ${mib(peak)} MiB (goal < 300 MiB)`);
  console.log(`vs helm template:  ~${(helm / 1000).toFixed(0)} s for ${n} calls at ~${HELM_TEMPLATE_MS} ms -> ${(helm / total).toFixed(0)}x faster`);
} finally {
  clearInterval(timer);
  if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
  else console.log(root);
}
