import { MOUNT_PATHS, PORTS } from '../../shared/contract.js';
import { OperatorError } from '../errors.js';
import { withDataPlaneLabel } from '../status/node-labels.js';

/**
 * The runtime's configuration, built as `HYBRIDGATE_*` environment variables (the runtime's env
 * override, which wins over kong.conf and defaults). One pure function per role; the pod templates
 * use nothing else to configure the runtime.
 */

/** A container env entry (a literal, or a key of a Secret). */
export type EnvVar =
  | { name: string; value: string }
  | { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } };

/** Where an lmdb control plane keeps its store: the PersistentVolumeClaim's mount. */
export const DATA_MOUNT_PATH = '/var/lib/hybridgate';

/** Files of a certificate Secret as mounted (kubernetes.io/tls keys plus the trust bundle). */
export const CERT_FILES = {
  cert: `${MOUNT_PATHS.clusterCertificates}/tls.crt`,
  key: `${MOUNT_PATHS.clusterCertificates}/tls.key`,
  ca: `${MOUNT_PATHS.clusterCertificates}/ca.crt`,
} as const;

/** Files of the Admin API's mounted Secrets: the serving certificate and the token file. */
export const ADMIN_FILES = {
  cert: `${MOUNT_PATHS.adminCertificates}/tls.crt`,
  key: `${MOUNT_PATHS.adminCertificates}/tls.key`,
  tokens: `${MOUNT_PATHS.adminToken}/token`,
} as const;

/** The PostgreSQL connection keys a database Secret must hold, passed through unchanged. */
export const PG_SECRET_KEYS = ['pg_host', 'pg_port', 'pg_user', 'pg_password', 'pg_database'] as const;

/** Conf keys only the operator sets (the CRDs refuse them in `conf`; checked again here). */
export const OPERATOR_CONF_KEYS: ReadonlySet<string> = new Set([
  'role',
  'database',
  'prefix',
  'admin_listen',
  'admin_ssl_cert',
  'admin_ssl_cert_key',
  'admin_auth',
  'admin_auth_tokens_file',
  'proxy_listen',
  'status_listen',
  'cluster_listen',
  'cluster_telemetry_listen',
  'cluster_mtls',
  'cluster_cert',
  'cluster_cert_key',
  'cluster_ca_cert',
  'cluster_control_plane',
  'cluster_telemetry_endpoint',
  'cluster_server_name',
  'cluster_dp_labels',
  'lmdb_environment_path',
  ...PG_SECRET_KEYS,
]);

const CONF_KEY = /^[a-z][a-z0-9_]{0,63}$/;

/** The environment variable name of a conf key. */
export const envName = (key: string): string => `HYBRIDGATE_${key.toUpperCase()}`;

/** Inputs of the control plane's env. */
export interface ControlPlaneEnvInput {
  mode: 'shared' | 'pki';
  database: { type: 'lmdb' | 'postgres'; secretName?: string };
  conf?: Record<string, string | undefined>;
}

/** Inputs of a data plane's env. */
export interface DataPlaneEnvInput {
  mode: 'shared' | 'pki';
  /** host:port of the CP cluster listener, and of its telemetry listener. */
  controlPlane: string;
  telemetry: string;
  /** The name the CP certificate is checked against (pki); unset: the runtime's default. */
  serverName?: string;
  labels?: Record<string, string | undefined>;
  /** The DataPlane's name, added to the labels so the fleet status maps the CP's rows to it. */
  dataPlane?: string;
  conf?: Record<string, string | undefined>;
}

/** The control plane's env: role, store, listeners, certificates, then the user's conf keys. */
export function controlPlaneEnv(input: ControlPlaneEnvInput): EnvVar[] {
  const env: EnvVar[] = [
    lit('role', 'control_plane'),
    lit('database', input.database.type),
    lit('prefix', MOUNT_PATHS.prefix),
    // TLS only, token required: the Admin API sits behind a Service, so loopback is no protection,
    // and nothing in the pod needs a plain listener (probes use the status listener).
    lit('admin_listen', `0.0.0.0:${PORTS.adminSsl} ssl`),
    lit('admin_ssl_cert', ADMIN_FILES.cert),
    lit('admin_ssl_cert_key', ADMIN_FILES.key),
    lit('admin_auth', 'token'),
    lit('admin_auth_tokens_file', ADMIN_FILES.tokens),
    lit('proxy_listen', 'off'),
    lit('status_listen', `0.0.0.0:${PORTS.status}`),
    lit('cluster_listen', `0.0.0.0:${PORTS.cluster}`),
    lit('cluster_telemetry_listen', `0.0.0.0:${PORTS.clusterTelemetry}`),
    ...certificateEnv(input.mode),
  ];
  if (input.database.type === 'lmdb') {
    env.push(lit('lmdb_environment_path', `${DATA_MOUNT_PATH}/config.lmdb`));
  } else {
    const secret = input.database.secretName;
    if (!secret) {
      throw new OperatorError(
        'INVALID_SPEC',
        'database type postgres needs database.secretRef.name (a Secret with the pg_* keys)',
        {
          field: 'spec.database.secretRef',
        },
      );
    }
    for (const key of PG_SECRET_KEYS)
      env.push({ name: envName(key), valueFrom: { secretKeyRef: { name: secret, key } } });
  }
  return [...env, ...userConfEnv(input.conf, 'spec.conf')];
}

/** A data plane's env: role, listeners, where the CP is, certificates, labels, then the user's conf keys. */
export function dataPlaneEnv(input: DataPlaneEnvInput): EnvVar[] {
  const env: EnvVar[] = [
    lit('role', 'data_plane'),
    lit('database', 'off'),
    lit('prefix', MOUNT_PATHS.prefix),
    lit('admin_listen', 'off'),
    lit('proxy_listen', `0.0.0.0:${PORTS.proxy}, 0.0.0.0:${PORTS.proxySsl} ssl`),
    lit('status_listen', `0.0.0.0:${PORTS.status}`),
    lit('cluster_control_plane', input.controlPlane),
    lit('cluster_telemetry_endpoint', input.telemetry),
    ...certificateEnv(input.mode),
  ];
  if (input.serverName) env.push(lit('cluster_server_name', input.serverName));
  const labels = dpLabels(input.dataPlane ? withDataPlaneLabel(input.labels, input.dataPlane) : input.labels);
  if (labels) env.push(lit('cluster_dp_labels', labels));
  return [...env, ...userConfEnv(input.conf, 'spec.conf')];
}

/** `k:v,k2:v2` sorted by key (Kong's cluster_dp_labels form); undefined when there are none. */
export function dpLabels(labels: Record<string, string | undefined> | undefined): string | undefined {
  const entries = Object.entries(labels ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of entries) {
    if (k.includes(',') || k.includes(':') || v.includes(',')) {
      throw new OperatorError(
        'INVALID_SPEC',
        `labels: "${k}" cannot be passed as cluster_dp_labels (no ',' in keys or values, no ':' in keys)`,
        {
          field: `spec.labels.${k}`,
        },
      );
    }
  }
  return entries.length ? entries.map(([k, v]) => `${k}:${v}`).join(',') : undefined;
}

function certificateEnv(mode: 'shared' | 'pki'): EnvVar[] {
  const env = [
    lit('cluster_mtls', mode),
    lit('cluster_cert', CERT_FILES.cert),
    lit('cluster_cert_key', CERT_FILES.key),
  ];
  if (mode === 'pki') env.push(lit('cluster_ca_cert', CERT_FILES.ca));
  return env;
}

/** The user's conf keys, sorted (stable pod templates); managed or malformed keys are refused. */
function userConfEnv(conf: Record<string, string | undefined> | undefined, field: string): EnvVar[] {
  const out: EnvVar[] = [];
  for (const key of Object.keys(conf ?? {}).sort()) {
    const value = conf?.[key];
    if (value === undefined) continue;
    if (!CONF_KEY.test(key)) {
      throw new OperatorError(
        'INVALID_SPEC',
        `${field}: "${key}" is not a property name (expected lower-case letters, digits and '_', at most 64)`,
        {
          field: `${field}.${key}`,
        },
      );
    }
    if (OPERATOR_CONF_KEYS.has(key)) {
      throw new OperatorError(
        'INVALID_SPEC',
        `${field}: "${key}" is set by the operator and cannot be overridden`,
        {
          field: `${field}.${key}`,
        },
      );
    }
    out.push(lit(key, value));
  }
  return out;
}

function lit(key: string, value: string): EnvVar {
  return { name: envName(key), value };
}
