import { describe, expect, it } from "vitest";
import { fieldOwner, type FieldOwner, type PathStep } from "./field-owner.ts";

const container = { name: "api", image: "x:2", ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }] };
const sidecar = { name: "proxy", image: "p:1" };

// A Deployment helm applied, then `kubectl set image` changed the image and the deployment
// controller wrote its revision annotation and status.
const managedFields = [
  {
    manager: "helm",
    operation: "Apply",
    apiVersion: "apps/v1",
    time: "2024-05-01T10:00:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: {
      "f:metadata": { "f:labels": { "f:app": {}, "f:app.kubernetes.io/managed-by": {} }, "f:annotations": { "f:meta.helm.sh/release-name": {} } },
      "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
          "f:spec": {
            "f:containers": {
              'k:{"name":"api"}': {
                ".": {},
                "f:name": {},
                "f:ports": { 'k:{"containerPort":8080,"protocol":"TCP"}': { ".": {}, "f:containerPort": {}, "f:name": {} } },
              },
            },
            "f:args": {},
          },
        },
      },
    },
  },
  {
    manager: "kubectl-set",
    operation: "Update",
    apiVersion: "apps/v1",
    time: "2024-05-02T09:30:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:spec": { "f:template": { "f:spec": { "f:containers": { 'k:{"name":"api"}': { "f:image": {} } } } } } },
  },
  {
    manager: "kube-controller-manager",
    operation: "Update",
    apiVersion: "apps/v1",
    time: "2024-05-02T09:30:01Z",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:metadata": { "f:annotations": { "f:deployment.kubernetes.io/revision": {} } } },
  },
  {
    manager: "kube-controller-manager",
    operation: "Update",
    subresource: "status",
    apiVersion: "apps/v1",
    time: "2024-05-02T09:31:00Z",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:status": { "f:replicas": {} } },
  },
];

const item = (live: unknown, index: number): PathStep => ({ item: live, index });
const containerAt = (c: unknown, i: number, ...rest: PathStep[]): PathStep[] => ["spec", "template", "spec", "containers", item(c, i), ...rest];
const helm: FieldOwner = { manager: "helm", operation: "Apply", time: "2024-05-01T10:00:00Z", exact: true };
const kubectlSet: FieldOwner = { manager: "kubectl-set", operation: "Update", time: "2024-05-02T09:30:00Z", exact: true };
const lastUpdate: FieldOwner = { manager: "kube-controller-manager", operation: "Update", time: "2024-05-02T09:30:01Z", exact: false };

describe("fieldOwner", () => {
  const cases: Array<[string, PathStep[], FieldOwner]> = [
    ["a plain field", ["spec", "replicas"], helm],
    ["a label (a map key with dots)", ["metadata", "labels", "app.kubernetes.io/managed-by"], helm],
    ["a list item by its merge key", containerAt(container, 0, "name"), helm],
    ["the field another manager took over", containerAt(container, 0, "image"), kubectlSet],
    ["a list item matched by its key, wherever it sits (a sidecar injected before it)", containerAt(container, 1, "image"), kubectlSet],
    ["a nested keyed list (ports by containerPort and protocol)", containerAt(container, 0, "ports", item(container.ports[0], 0), "containerPort"), helm],
    ["a keyed item whose keys differ from the live item's is not it", containerAt(container, 0, "ports", item({ ...container.ports[0], protocol: "UDP" }, 0), "containerPort"), lastUpdate],
    ["inside an atomic field, its owner", ["spec", "selector", "matchLabels", "app"], helm],
    ["an atomic list as a whole", ["spec", "template", "spec", "args"], helm],
    ["a field nobody owns (removed): the object's last Update, not exact", ["metadata", "labels", "removed"], lastUpdate],
    ["an item missing from the live list: nobody owns it", containerAt(undefined, 0), lastUpdate],
    ["a container nobody owns", containerAt(sidecar, 0, "image"), lastUpdate],
  ];
  it.each(cases)("%s", (_n, steps, want) => expect(fieldOwner(managedFields, steps)).toEqual(want));

  const sets: Array<[string, unknown[], PathStep[], boolean]> = [
    [
      "a set item by its value (v:)",
      [{ manager: "m", operation: "Update", time: "2024-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:finalizers": { 'v:"a/b"': {} } } } }],
      ["metadata", "finalizers", item("a/b", 3)],
      true,
    ],
    [
      "an object set item by its value, whatever the key order",
      [{ manager: "m", operation: "Update", time: "2024-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:x": { 'v:{"b":2,"a":1}': {} } } }],
      ["x", item({ a: 1, b: 2 }, 0)],
      true,
    ],
    [
      "an item by position (i:)",
      [{ manager: "m", operation: "Update", time: "2024-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:x": { "i:1": { "f:y": {} } } } }],
      ["x", item({ y: 1 }, 1), "y"],
      true,
    ],
    [
      "the wrong position is not it",
      [{ manager: "m", operation: "Apply", time: "2024-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:x": { "i:1": { "f:y": {} } } } }],
      ["x", item({ y: 1 }, 0), "y"],
      false,
    ],
  ];
  it.each(sets)("%s", (_n, mf, steps, exact) => expect(fieldOwner(mf, steps)).toMatchObject({ manager: "m", exact }));

  it("a field written through a subresource (kubectl scale) is owned by that writer", () => {
    const scaled = [...managedFields, { manager: "kubectl", operation: "Update", subresource: "scale", time: "2024-05-03T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:replicas": {} } } }];
    expect(fieldOwner(scaled, ["spec", "replicas"])).toEqual({ manager: "kubectl", operation: "Update", time: "2024-05-03T00:00:00Z", exact: true });
  });

  it("a field several managers own (shared apply): the latest wins", () => {
    const entry = (manager: string, time: string) => ({ manager, operation: "Apply", time, fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:replicas": {} } } });
    expect(fieldOwner([entry("a", "2024-01-02T00:00:00Z"), entry("b", "2024-01-03T00:00:00Z"), entry("c", "2024-01-01T00:00:00Z")], ["spec", "replicas"])).toEqual({
      manager: "b",
      operation: "Apply",
      time: "2024-01-03T00:00:00Z",
      exact: true,
    });
  });

  const fallbacks: Array<[string, unknown, FieldOwner | undefined]> = [
    ["no managedFields", undefined, undefined],
    ["an empty list", [], undefined],
    ["no Update: the latest entry of any kind", [{ manager: "helm", operation: "Apply", time: "2024-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: {} }], { manager: "helm", operation: "Apply", time: "2024-01-01T00:00:00Z", exact: false }],
    ["an entry without time or fields", [{ manager: "helm" }], { manager: "helm", operation: "", exact: false }],
    [
      "a status update is never the fallback",
      [
        { manager: "kubectl-edit", operation: "Update", time: "2024-01-01T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: {} },
        { manager: "kcm", operation: "Update", subresource: "status", time: "2024-01-02T00:00:00Z", fieldsType: "FieldsV1", fieldsV1: {} },
      ],
      { manager: "kubectl-edit", operation: "Update", time: "2024-01-01T00:00:00Z", exact: false },
    ],
    ["an unknown fieldsType is not read", [{ manager: "m", operation: "Update", fieldsType: "FieldsV2", fieldsV1: { "f:spec": { "f:replicas": {} } } }], { manager: "m", operation: "Update", exact: false }],
  ];
  it.each(fallbacks)("%s", (_n, mf, want) => expect(fieldOwner(mf, ["spec", "replicas"])).toEqual(want));
});
