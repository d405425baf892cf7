/**
 * What the operator and the runtime agree on: ports, environment variable prefixes, mount paths and
 * label keys. Both import this module and nothing else from each other (they are different processes).
 */

export const API_GROUP = 'hybridgate.dev';
export const API_VERSION = 'v1alpha1';

/** Default listen ports, as Kong's (seeds: cluster_listen 8005, telemetry 8006, admin 8001, proxy 8000/8443). */
export const PORTS = {
  proxy: 8000,
  proxySsl: 8443,
  admin: 8001,
  /** The Admin API over TLS (Kong's admin_listen default 8444 ssl); the only admin port the operator opens. */
  adminSsl: 8444,
  status: 8100,
  cluster: 8005,
  clusterTelemetry: 8006,
} as const;

/** Conf keys can be overridden by environment variables with either prefix (HYBRIDGATE_ wins). */
export const ENV_PREFIXES = ['HYBRIDGATE_', 'KONG_'] as const;

/** Where the operator mounts things in runtime pods. */
export const MOUNT_PATHS = {
  prefix: '/var/run/hybridgate',
  clusterCertificates: '/etc/hybridgate/cluster',
  /** The Admin API's serving certificate (tls.crt, tls.key, ca.crt). */
  adminCertificates: '/etc/hybridgate/admin-tls',
  /** The Admin API token file (key `token` of the token Secret). */
  adminToken: '/etc/hybridgate/admin-token',
} as const;

/** Label keys the operator puts on what it makes. */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  cluster: 'hybridgate.dev/cluster',
  dataPlaneGroup: 'hybridgate.dev/dataplane',
  /** Pods carrying this label with value "true" may reach the Admin API of ControlPlanes in their namespace. */
  adminAccess: 'hybridgate.dev/admin-access',
} as const;

/** The official image of both entry points; the operator tags it with the resource's spec.version. */
export const DEFAULT_IMAGE = 'hybridgate/hybridgate';
