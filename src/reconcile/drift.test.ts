import { describe, expect, it } from "vitest";
import { autoscalerOn, detectDrift, diffObject, driftCount, formatDrift, formatOwner, objectKey, parseManifest, type ManifestObject } from "./drift.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures reach deep paths of live objects
type Obj = any;

const deployment = (over: Record<string, unknown> = {}): ManifestObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "shop-api", namespace: "shop", labels: { app: "api", "app.kubernetes.io/managed-by": "berth", "app.kubernetes.io/version": "1.0.0" } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: "api" } },
    template: {
      metadata: { labels: { app: "api" } },
      spec: { containers: [{ name: "api", image: "x:1", ports: [{ name: "http", containerPort: 8080 }], resources: { requests: { cpu: "0.5", memory: "1024Mi" } } }] },
    },
  },
  ...over,
});

const HELM_AT = "2024-05-01T10:00:00Z";
const CONTROLLER_AT = "2024-05-01T10:00:02Z";
// The managedFields the API server keeps for deployment() applied by helm (server-side apply),
// then the deployment controller's revision annotation and status.
const managedFields = (): Obj[] => [
  {
    manager: "helm",
    operation: "Apply",
    apiVersion: "apps/v1",
    time: HELM_AT,
    fieldsType: "FieldsV1",
    fieldsV1: {
      "f:metadata": { "f:labels": { "f:app": {}, "f:app.kubernetes.io/managed-by": {}, "f:app.kubernetes.io/version": {} }, "f:annotations": { "f:meta.helm.sh/release-name": {} } },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:containers": {
              'k:{"name":"api"}': {
                ".": {},
                "f:name": {},
                "f:image": {},
                "f:ports": { 'k:{"containerPort":8080,"protocol":"TCP"}': { ".": {}, "f:name": {}, "f:containerPort": {} } },
                "f:resources": { "f:requests": { "f:cpu": {}, "f:memory": {} } },
              },
            },
          },
        },
      },
    },
  },
  { manager: "kube-controller-manager", operation: "Update", apiVersion: "apps/v1", time: CONTROLLER_AT, fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:annotations": { "f:deployment.kubernetes.io/revision": {} } } } },
  { manager: "kube-controller-manager", operation: "Update", subresource: "status", apiVersion: "apps/v1", time: "2024-05-01T10:05:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:status": { "f:replicas": {} } } },
];

// What the API server gives back for deployment(): defaults, status, controller metadata.
const liveOf = (d: ManifestObject) => {
  const live = structuredClone(d) as Obj;
  live.metadata = {
    ...live.metadata,
    uid: "u-1",
    resourceVersion: "42",
    generation: 3,
    creationTimestamp: "2024-01-01T00:00:00Z",
    managedFields: managedFields(),
    annotations: { "deployment.kubernetes.io/revision": "3", "meta.helm.sh/release-name": "shop-api" },
  };
  live.spec.strategy = { type: "RollingUpdate" };
  live.spec.revisionHistoryLimit = 10;
  const c = live.spec.template.spec.containers[0];
  c.imagePullPolicy = "IfNotPresent";
  c.terminationMessagePath = "/dev/termination-log";
  c.ports[0].protocol = "TCP";
  c.resources.requests = { cpu: "500m", memory: "1Gi" };
  live.spec.template.spec.restartPolicy = "Always";
  live.status = { replicas: 2, availableReplicas: 2 };
  return live;
};

type Mutate = (live: Obj) => void;

describe("diffObject", () => {
  const cases: Array<[string, Mutate, string[]]> = [
    ["defaults, status and controller metadata are not drift", () => {}, []],
    ["a changed image", (l) => (l.spec.template.spec.containers[0].image = "x:2"), ['spec.template.spec.containers[0].image: "x:1" -> "x:2"']],
    ["a changed label", (l) => (l.metadata.labels.app = "hacked"), ['metadata.labels.app: "api" -> "hacked"']],
    ["a removed label", (l) => delete l.metadata.labels.app, ['metadata.labels.app: "api" -> <absent>']],
    ["a changed dotted label", (l) => (l.metadata.labels["app.kubernetes.io/version"] = "9"), ['metadata.labels["app.kubernetes.io/version"]: "1.0.0" -> "9"']],
    ["an added label is not a field the manifest sets", (l) => (l.metadata.labels.extra = "y"), []],
    ["helm's managed-by label over the chart's is not drift", (l) => (l.metadata.labels["app.kubernetes.io/managed-by"] = "Helm"), []],
    ["a replicas change", (l) => (l.spec.replicas = 5), ["spec.replicas: 2 -> 5"]],
    ["a port changed", (l) => (l.spec.template.spec.containers[0].ports[0].containerPort = 9090), ["spec.template.spec.containers[0].ports[0].containerPort: 8080 -> 9090"]],
    ["a quantity really changed", (l) => (l.spec.template.spec.containers[0].resources.requests.cpu = "250m"), ['spec.template.spec.containers[0].resources.requests.cpu: "0.5" -> "250m"']],
    [
      "an injected sidecar is not drift; the container still matches by name",
      (l) => l.spec.template.spec.containers.unshift({ name: "istio-proxy", image: "proxy" }),
      [],
    ],
    [
      "a removed container",
      (l) => (l.spec.template.spec.containers = [{ name: "other", image: "y" }]),
      ['spec.template.spec.containers[0]: {"name":"api","image":"x:1","ports":[{"name":"http","containerPort":8080}],"resources":{"requests":{"cpu":"0.5","memory":"1024Mi"}}} -> <absent>'],
    ],
  ];
  it.each(cases)("%s", (_name, mutate, expected) => {
    const d = deployment();
    const live = liveOf(d);
    mutate(live);
    // Who wrote each field: see "who drifted it" below (these mutations leave managedFields as helm wrote them).
    const fields = diffObject(d, live).map(({ by: _by, ...f }) => f);
    expect(formatDrift({ ...d, name: "shop-api", fields }).map((s) => s.replace(/^Deployment\/shop-api: /, ""))).toEqual(expected);
  });

  it("matches items that repeat a name (volumeMounts with subPaths) by position", () => {
    const mounts = [
      { name: "cfg", mountPath: "/a", subPath: "a" },
      { name: "cfg", mountPath: "/b", subPath: "b" },
    ];
    const d: ManifestObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { volumeMounts: mounts } };
    expect(diffObject(d, { spec: { volumeMounts: mounts } })).toEqual([]);
    expect(diffObject(d, { spec: { volumeMounts: [mounts[0], { ...mounts[1], subPath: "c" }] } })).toEqual([{ path: "spec.volumeMounts[1].subPath", expected: "b", live: "c" }]);
  });

  it("skips the paths it is told to (fields an autoscaler owns)", () => {
    const d = deployment();
    const live = liveOf(d);
    live.spec.replicas = 7;
    expect(diffObject(d, live, new Set(["spec.replicas"]))).toEqual([]);
  });

  const scalars: Array<[string, unknown, unknown, boolean]> = [
    ["same string", "a", "a", true],
    ["number vs its string (IntOrString)", 8080, "8080", true],
    ["cpu 0.5 vs 500m", "0.5", "500m", true],
    ["memory 1024Mi vs 1Gi", "1024Mi", "1Gi", true],
    ["plain numbers are not quantities", "08", "8", false],
    ["different quantities", "1Gi", "1G", false],
    ["bool vs string", true, "true", false],
    ["false dropped by omitempty", false, undefined, true],
    ["0 dropped by omitempty", 0, undefined, true],
    ["empty string dropped by omitempty", "", undefined, true],
    ["true is not absent", true, undefined, false],
  ];
  it.each(scalars)("scalar %s", (_n, a, b, same) => {
    const d: ManifestObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { k: a } };
    expect(diffObject(d, { data: { k: b } }).length === 0).toBe(same);
  });

  it("compares a Secret's stringData with its data, never showing the values", () => {
    const s: ManifestObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "shop" }, stringData: { password: "hunter2" } };
    const live = new Map<string, unknown>([[objectKey({ apiVersion: "v1", kind: "Secret", namespace: "shop", name: "db" }), { data: { password: Buffer.from("changed").toString("base64") } }]]);
    const out = detectDrift({ objects: [s], live, autoscalerOn: false });
    expect(out).toEqual([{ apiVersion: "v1", kind: "Secret", namespace: "shop", name: "db", fields: [{ path: "data.password", expected: "[redacted]", live: "[redacted]" }] }]);
    expect(JSON.stringify(out)).not.toContain(Buffer.from("hunter2").toString("base64"));
    const same = new Map([[[...live.keys()][0]!, { data: { password: Buffer.from("hunter2").toString("base64") } }]]);
    expect(detectDrift({ objects: [s], live: same, autoscalerOn: false })).toEqual([]);
  });
});

// Hands a field of helm's over to another manager, as the API server does on an Update (or a forced Apply).
function takeOver(live: Obj, entry: Obj, drop: (helmFields: Obj) => void) {
  const fields = live.metadata.managedFields as Obj[];
  drop(fields[0].fieldsV1);
  fields.push({ apiVersion: "apps/v1", fieldsType: "FieldsV1", ...entry });
}
const helmContainer = (f: Obj) => f["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"api"}'];

describe("who drifted it: each field names the manager that last wrote it", () => {
  const SET_AT = "2024-05-02T09:30:00Z";
  const cases: Array<[string, Mutate, string[]]> = [
    [
      "kubectl set image",
      (l) => {
        l.spec.template.spec.containers[0].image = "x:2";
        takeOver(l, { manager: "kubectl-set", operation: "Update", time: SET_AT, fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:image": {} } } } } } } }, (f) => delete helmContainer(f)["f:image"]);
      },
      [`spec.template.spec.containers[0].image: "x:1" -> "x:2" (by kubectl-set Update at ${SET_AT})`],
    ],
    [
      "the container is found by its name in live, after an injected sidecar",
      (l) => {
        l.spec.template.spec.containers[0].image = "x:2";
        l.spec.template.spec.containers.unshift({ name: "istio-proxy", image: "proxy" });
        takeOver(l, { manager: "kubectl-set", operation: "Update", time: SET_AT, fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:image": {} } } } } } } }, (f) => delete helmContainer(f)["f:image"]);
      },
      [`spec.template.spec.containers[0].image: "x:1" -> "x:2" (by kubectl-set Update at ${SET_AT})`],
    ],
    [
      "another manager's forced apply",
      (l) => {
        l.spec.template.spec.containers[0].resources.requests.cpu = "250m";
        takeOver(l, { manager: "ops", operation: "Apply", time: SET_AT, fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:resources": { "f:requests": { "f:cpu": {} } } } } } } } } }, (f) => delete helmContainer(f)["f:resources"]["f:requests"]["f:cpu"]);
      },
      [`spec.template.spec.containers[0].resources.requests.cpu: "0.5" -> "250m" (by ops Apply at ${SET_AT})`],
    ],
    [
      "kubectl label --overwrite",
      (l) => {
        l.metadata.labels.app = "hacked";
        takeOver(l, { manager: "kubectl-label", operation: "Update", time: SET_AT, fieldsV1: { "f:metadata": { "f:labels": { "f:app": {} } } } }, (f) => delete f["f:metadata"]["f:labels"]["f:app"]);
      },
      [`metadata.labels.app: "api" -> "hacked" (by kubectl-label Update at ${SET_AT})`],
    ],
    [
      "a field someone removed is owned by nobody: the object's last update is named, as a guess",
      (l) => {
        delete l.metadata.labels["app.kubernetes.io/version"];
        delete l.metadata.managedFields[0].fieldsV1["f:metadata"]["f:labels"]["f:app.kubernetes.io/version"];
      },
      [`metadata.labels["app.kubernetes.io/version"]: "1.0.0" -> <absent> (owned by no manager now; last recorded write: kube-controller-manager at ${CONTROLLER_AT})`],
    ],
    [
      "a container removed from the list",
      (l) => {
        l.spec.template.spec.containers = [{ name: "other", image: "y" }];
        takeOver(l, { manager: "kubectl-edit", operation: "Update", time: SET_AT, fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"other"}': { ".": {}, "f:name": {}, "f:image": {} } } } } } } }, (f) => delete f["f:spec"]["f:template"]["f:spec"]); // nothing left of helm's there (the API server keeps no empty nodes)
      },
      [expect.stringMatching(/^spec\.template\.spec\.containers\[0\]: \{.*\} -> <absent> \(owned by no manager now; last recorded write: kubectl-edit at 2024-05-02T09:30:00Z\)$/) as unknown as string],
    ],
    [
      "a value helm still owns (changed by an update that did not take the field) names helm",
      (l) => (l.spec.replicas = 5),
      [`spec.replicas: 2 -> 5 (by helm Apply at ${HELM_AT})`],
    ],
  ];
  it.each(cases)("%s", (_name, mutate, expected) => {
    const d = deployment();
    const live = liveOf(d);
    mutate(live);
    const out = detectDrift({ objects: [d], live: new Map([[objectKey({ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "shop-api" }), live]]), autoscalerOn: false });
    expect(out.flatMap(formatDrift).map((s) => s.replace(/^Deployment\/shop-api: /, ""))).toEqual(expected);
  });

  it("carries `by` as data, and none when the live object has no managedFields", () => {
    const d = deployment();
    const live = liveOf(d);
    live.spec.template.spec.containers[0].image = "x:2";
    takeOver(live, { manager: "kubectl-set", operation: "Update", time: "2024-05-02T09:30:00Z", fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:image": {} } } } } } } }, (f) => delete helmContainer(f)["f:image"]);
    expect(diffObject(d, live)).toEqual([{ path: "spec.template.spec.containers[0].image", expected: "x:1", live: "x:2", by: { manager: "kubectl-set", operation: "Update", time: "2024-05-02T09:30:00Z", exact: true } }]);
    delete live.metadata.managedFields;
    expect(diffObject(d, live)).toEqual([{ path: "spec.template.spec.containers[0].image", expected: "x:1", live: "x:2" }]);
  });

  it("a Secret's drift names who changed it and still shows no value", () => {
    const s: ManifestObject = { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "shop" }, stringData: { password: "hunter2" } };
    const changed = Buffer.from("changed").toString("base64");
    const live = { metadata: { managedFields: [{ manager: "kubectl-edit", operation: "Update", time: "2024-05-02T09:30:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:data": { "f:password": {} } } }] }, data: { password: changed } };
    const out = detectDrift({ objects: [s], live: new Map([[objectKey({ apiVersion: "v1", kind: "Secret", namespace: "shop", name: "db" }), live]]), autoscalerOn: false });
    expect(out[0]!.fields).toEqual([{ path: "data.password", expected: "[redacted]", live: "[redacted]", by: { manager: "kubectl-edit", operation: "Update", time: "2024-05-02T09:30:00Z", exact: true } }]);
    expect(formatDrift(out[0]!)).toEqual(['Secret/db: data.password: "[redacted]" -> "[redacted]" (by kubectl-edit Update at 2024-05-02T09:30:00Z)']);
    expect(JSON.stringify(out)).not.toContain(changed);
  });
});

describe("formatOwner", () => {
  it.each([
    [undefined, ""],
    [{ manager: "kubectl-set", operation: "Update", time: "T", exact: true }, " (by kubectl-set Update at T)"],
    [{ manager: "helm", operation: "Apply", exact: true }, " (by helm Apply)"],
    [{ manager: "kubectl-edit", operation: "Update", time: "T", exact: false }, " (owned by no manager now; last recorded write: kubectl-edit at T)"],
    [{ manager: "x", operation: "", exact: false }, " (owned by no manager now; last recorded write: x)"],
  ])("%j -> %j", (by, text) => expect(formatOwner(by)).toBe(text));
});

describe("detectDrift", () => {
  const hpa: ManifestObject = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: { name: "shop-api", namespace: "shop" },
    spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shop-api" }, minReplicas: 2, maxReplicas: 5 },
  };
  const cases: Array<[string, ManifestObject[], boolean, number]> = [
    ["replicas changed, no autoscaler: drift", [deployment()], false, 1],
    ["replicas changed, autoscaler trait on: not drift", [deployment()], true, 0],
    ["replicas changed, an HPA in the manifest targets it: not drift", [deployment(), hpa], false, 0],
  ];
  it.each(cases)("%s", (_n, objects, on, count) => {
    const live = new Map<string, unknown>();
    for (const o of objects) {
      const l = o.kind === "Deployment" ? liveOf(o) : structuredClone(o);
      if (o.kind === "Deployment") l.spec.replicas = 9;
      live.set(objectKey({ apiVersion: o.apiVersion, kind: o.kind, namespace: "shop", name: o.metadata.name }), l);
    }
    expect(driftCount(detectDrift({ objects, live, autoscalerOn: on }))).toBe(count);
  });

  it("reports a deleted object as missing", () => {
    const out = detectDrift({ objects: [deployment()], live: new Map(), autoscalerOn: false });
    expect(out).toEqual([{ apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "shop-api", missing: true, fields: [] }]);
    expect(formatDrift(out[0]!)).toEqual(["Deployment/shop-api: missing (deleted from the cluster)"]);
    expect(driftCount(out)).toBe(1);
  });
});

describe("parseManifest", () => {
  it("reads helm's multi-document manifest, filling the release namespace for namespaced kinds only", () => {
    const manifest = [
      "---",
      "# Source: web/templates/service.yaml",
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop-api\nspec:\n  ports: [{port: 80}]",
      "---",
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader",
      "---",
      "# an empty document",
      "---",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: elsewhere",
    ].join("\n");
    const objs = parseManifest(manifest, "shop");
    expect(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? "-"}/${o.metadata.name}`)).toEqual(["Service/shop/shop-api", "ClusterRole/-/reader", "ConfigMap/elsewhere/other"]);
  });
});

describe("autoscalerOn", () => {
  it.each([
    [{ traits: { autoscaler: { enabled: true, min: 2 } } }, true],
    [{ traits: { autoscaler: { enabled: false } } }, false],
    [{ traits: {} }, false],
    [undefined, false],
  ])("%j -> %s", (values, on) => expect(autoscalerOn(values)).toBe(on));
});
