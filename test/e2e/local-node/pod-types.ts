import type { KubeObject } from './kube-api.js';

/** A key of a Secret or ConfigMap (volume items, env refs). */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** A downward API file. */
export interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { resource: string; containerName?: string };
  mode?: number;
}

/** The volume sources the local node understands. */
export interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  hostPath?: { path: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number };
  projected?: {
    defaultMode?: number;
    sources?: {
      secret?: { name: string; items?: KeyToPath[]; optional?: boolean };
      configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
      downwardAPI?: { items?: DownwardItem[] };
      serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
    }[];
  };
}

/** An HTTP GET or TCP probe with the kubelet's timing fields. */
export interface Probe {
  httpGet?: {
    path?: string;
    port: number | string;
    scheme?: string;
    host?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  tcpSocket?: { port: number | string; host?: string };
  exec?: unknown;
  grpc?: unknown;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

/** One environment variable of a container. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { resource: string; containerName?: string; divisor?: string };
  };
}

/** A container as the local node runs it. */
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: {
    prefix?: string;
    secretRef?: { name: string; optional?: boolean };
    configMapRef?: { name: string; optional?: boolean };
  }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

/** A Pod (what the local node reads of it). */
export interface Pod extends KubeObject {
  metadata: KubeObject['metadata'] & { namespace: string; uid: string };
  spec: {
    nodeName?: string;
    serviceAccountName?: string;
    restartPolicy?: 'Always' | 'OnFailure' | 'Never';
    terminationGracePeriodSeconds?: number;
    hostname?: string;
    subdomain?: string;
    initContainers?: Container[];
    containers: Container[];
    volumes?: Volume[];
  };
  status?: { phase?: string; podIP?: string; [k: string]: unknown };
}
