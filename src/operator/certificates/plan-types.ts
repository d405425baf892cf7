import type { KubeObject, OwnerReference } from '../../api/meta.js';
import type { ControlPlaneCertificates } from '../../api/v1alpha1/index.js';
import type { KubeSecret } from './secrets.js';

/** One leaf the CP's certificates cover: the CP's server certificate or a DataPlane's client certificate. */
export interface LeafTarget {
  secretName: string;
  usage: 'server' | 'client';
  commonName: string;
  dnsNames: string[];
  owner: OwnerReference;
}

/** Everything the certificate planners read (gathered by the reconciler; no I/O inside the planners). */
export interface CertificateInputs {
  controlPlane: string;
  namespace: string;
  cluster: string;
  owner: OwnerReference;
  mode: 'shared' | 'pki';
  durationMs: number;
  renewBeforeMs: number;
  /** Current Secrets by name (undefined: absent). */
  secrets: ReadonlyMap<string, KubeSecret | undefined>;
  /** The leaves (pki): the CP's, then one per DataPlane of this CP. */
  leaves: LeafTarget[];
  now: number;
  /** CA rotation: how long a published bundle must sit before the next step (kubelet Secret sync). */
  propagationDelayMs: number;
  /** The ControlPlane's rotate-ca annotation (a new value starts a rotation). */
  rotateRequest?: string;
}

/** A Kubernetes Event the reconciler should record on the ControlPlane. */
export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What a planner decided: objects to apply, events, readiness, status and when to look again. */
export interface CertificatePlan {
  apply: KubeObject[];
  events: PlannedEvent[];
  ready: boolean;
  reason: string;
  message: string;
  status: ControlPlaneCertificates;
  /** Earliest time something must happen (a renewal, the next rotation step); undefined: nothing due. */
  nextCheckAt?: number;
}
