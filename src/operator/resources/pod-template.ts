import { createHash } from 'node:crypto';
import { DEFAULT_IMAGE, MOUNT_PATHS, PORTS } from '../../shared/contract.js';
import { CONF_HASH_ANNOTATION } from './annotations.js';
import type { EnvVar } from './runtime-env.js';
import { DATA_MOUNT_PATH } from './runtime-env.js';

/**
 * The pod template both roles share: restricted pod security (non-root numeric user, read-only root
 * filesystem, no capabilities, RuntimeDefault seccomp), a writable emptyDir for the runtime prefix,
 * the certificate Secret mounted read-only, and probes on the status listener.
 */

/** The numeric user and group of the image (a name would fail runAsNonRoot verification). */
export const RUNTIME_UID = 65532;

/** The container image: spec.image, else the official image tagged with spec.version. */
export function imageFor(spec: { image?: string; version: string }): string {
  return spec.image ?? `${DEFAULT_IMAGE}:${spec.version}`;
}

/** What one runtime pod is made of. */
export interface PodTemplateInput {
  labels: Record<string, string>;
  serviceAccountName: string;
  image: string;
  env: EnvVar[];
  /** The Secret with tls.crt, tls.key (and ca.crt in mode pki). */
  certificateSecret: string;
  ports: { name: string; containerPort: number }[];
  resources?: Record<string, unknown>;
  /** More Secrets mounted read-only (the CP's Admin API certificate and token), in this order. */
  secretMounts?: { name: string; secretName: string; mountPath: string }[];
  /** Mount the lmdb volume (a volumeClaimTemplate named this) at DATA_MOUNT_PATH. */
  dataVolume?: string;
  /** User conf keys: hashed into an annotation so the reason for a roll shows in the template. */
  conf?: Record<string, string | undefined>;
}

/** A pod template spec (the `template` of a Deployment or StatefulSet). */
export function podTemplate(input: PodTemplateInput): Record<string, unknown> {
  const mounts: Record<string, unknown>[] = [
    { name: 'prefix', mountPath: MOUNT_PATHS.prefix },
    { name: 'cluster-certificate', mountPath: MOUNT_PATHS.clusterCertificates, readOnly: true },
  ];
  for (const m of input.secretMounts ?? [])
    mounts.push({ name: m.name, mountPath: m.mountPath, readOnly: true });
  if (input.dataVolume) mounts.push({ name: input.dataVolume, mountPath: DATA_MOUNT_PATH });
  const container: Record<string, unknown> = {
    name: 'hybridgate',
    image: input.image,
    args: ['start'],
    env: input.env,
    ports: input.ports.map((p) => ({ ...p, protocol: 'TCP' })),
    livenessProbe: probe('/status', 10, 3),
    readinessProbe: probe('/status/ready', 5, 3),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: RUNTIME_UID,
      runAsGroup: RUNTIME_UID,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: mounts,
  };
  if (input.resources && Object.keys(input.resources).length) container['resources'] = input.resources;
  const annotations = confAnnotations(input.conf);
  return {
    metadata: { labels: input.labels, ...(annotations ? { annotations } : {}) },
    spec: {
      serviceAccountName: input.serviceAccountName,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: RUNTIME_UID,
        runAsGroup: RUNTIME_UID,
        fsGroup: RUNTIME_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [container],
      volumes: [
        { name: 'prefix', emptyDir: {} },
        // 0440 + fsGroup: readable by the runtime user only; the Secret's files update in place when
        // certificates renew, and the runtime reloads them (no restart, so not in the template hash).
        { name: 'cluster-certificate', secret: { secretName: input.certificateSecret, defaultMode: 0o440 } },
        ...(input.secretMounts ?? []).map((m) => ({
          name: m.name,
          secret: { secretName: m.secretName, defaultMode: 0o440 },
        })),
      ],
    },
  };
}

function probe(path: string, periodSeconds: number, failureThreshold: number): Record<string, unknown> {
  return {
    httpGet: { path, port: PORTS.status, scheme: 'HTTP' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  };
}

function confAnnotations(
  conf: Record<string, string | undefined> | undefined,
): Record<string, string> | undefined {
  const entries = Object.entries(conf ?? {})
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (!entries.length) return undefined;
  const hash = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
  return { [CONF_HASH_ANNOTATION]: hash };
}
