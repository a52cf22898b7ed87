// The built-in Kubernetes kinds that live outside any namespace. One list for
// `berth validate` (a kind a generated chart renders), the pre-install check of
// a rendered manifest, and drift (which namespace an object is read from).
// A custom kind is not here: a chart that defines it (a CRD with
// `scope: Cluster`) says so itself, and otherwise the cluster's discovery is
// asked before install (any kind outside the API groups below).
export const CLUSTER_SCOPED_KINDS: readonly string[] = [
  "APIService",
  "CertificateSigningRequest",
  "ClusterRole",
  "ClusterRoleBinding",
  "ClusterTrustBundle",
  "ComponentStatus",
  "CSIDriver",
  "CSINode",
  "CustomResourceDefinition",
  "DeviceClass",
  "FlowSchema",
  "IngressClass",
  "IPAddress",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "MutatingWebhookConfiguration",
  "Namespace",
  "Node",
  "PersistentVolume",
  "PodSecurityPolicy",
  "PriorityClass",
  "PriorityLevelConfiguration",
  "RuntimeClass",
  "ServiceCIDR",
  "StorageClass",
  "StorageVersionMigration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "ValidatingWebhookConfiguration",
  "VolumeAttachment",
  "VolumeAttributesClass",
];

const KINDS = new Set(CLUSTER_SCOPED_KINDS);

/** Whether a built-in kind is cluster-scoped (by kind alone, as charts and Projects name them). */
export const isClusterScopedKind = (kind: string): boolean => KINDS.has(kind);

/**
 * The API groups kube-apiserver serves itself: every cluster-scoped kind in
 * them is in the list above, so any other kind of theirs is namespaced. A CRD
 * group always has a dot, and may end in `.k8s.io` (the Gateway API's
 * GatewayClass is cluster-scoped), so only these exact groups count.
 */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  "",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "apiregistration.k8s.io",
  "apps",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "events.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "internal.apiserver.k8s.io",
  "networking.k8s.io",
  "node.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "resource.k8s.io",
  "scheduling.k8s.io",
  "storage.k8s.io",
  "storagemigration.k8s.io",
]);

/** The group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``). */
export const apiGroup = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "");
