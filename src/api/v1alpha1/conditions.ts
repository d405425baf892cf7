/**
 * Condition types and reasons written to the status of Hybridgate resources. Kept in one place so that
 * controllers, tests and `kubectl wait --for=condition=...` users agree on the spelling.
 */

/** Condition types (metav1.Condition.type). */
export const CONDITION_TYPES = {
  /** Pods available (ControlPlane, DataPlane); everything owned ready (HybridCluster). */
  Ready: 'Ready',
  /** Every data plane node runs the control plane's current configuration hash. */
  Synced: 'Synced',
  /** No data plane node is version- or plugin-incompatible with the control plane. */
  Compatible: 'Compatible',
  /** The cluster certificates exist, are valid and not due for renewal. */
  CertificatesReady: 'CertificatesReady',
  /** A change (version upgrade, rollout) is being carried out. */
  Progressing: 'Progressing',
} as const;

/** A condition type name. */
export type ConditionType = (typeof CONDITION_TYPES)[keyof typeof CONDITION_TYPES];

/** Reasons (CamelCase, as metav1.Condition requires). */
export const CONDITION_REASONS = {
  Available: 'Available',
  Unavailable: 'Unavailable',
  AllSynced: 'AllSynced',
  NotSynced: 'NotSynced',
  Compatible: 'Compatible',
  Incompatible: 'Incompatible',
  ControlPlaneUnreachable: 'ControlPlaneUnreachable',
  CertificatesIssued: 'CertificatesIssued',
  CertificatesPending: 'CertificatesPending',
  CertificatesInvalid: 'CertificatesInvalid',
  Reconciled: 'Reconciled',
  Reconciling: 'Reconciling',
  ReconcileError: 'ReconcileError',
  InvalidSpec: 'InvalidSpec',
} as const;

/** A condition reason. */
export type ConditionReason = (typeof CONDITION_REASONS)[keyof typeof CONDITION_REASONS];
