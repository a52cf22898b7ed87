// The built-in Kubernetes kinds that live outside any namespace. One list for
// `berth validate` (a kind a generated chart renders), the pre-install check of
// a rendered manifest, and drift (which namespace an object is read from).
// A custom kind is not here: a chart that defines it (a CRD with
// `scope: Cluster`) says so itself, and the API server's RBAC decides the rest.
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
