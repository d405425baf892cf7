/**
 * The Kubernetes metadata types as they travel on the wire (JSON: timestamps are RFC 3339 strings), for
 * the objects the operator reads through its own REST client. @kubernetes/client-node's V1ObjectMeta
 * turns timestamps into Date objects, which raw JSON never holds, so the generated CRD types use these.
 */

/** metav1.OwnerReference: makes the owner's deletion garbage-collect the object. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** metav1.ObjectMeta, the fields the operator reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** metav1.Condition: one aspect of an object's state, listed in status.conditions keyed by type. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Any Kubernetes object, as far as the controller runtime needs to know it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** A generated CRD type as the controller runtime holds it (informer caches, apply, status). */
export type Kube<T> = T & KubeObject;
