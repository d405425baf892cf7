import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically, type Payload } from './atomic-writer.js';
import { KubeApiError, type KubeApi, type KubeObject } from './kube-api.js';
import type { Pod, Volume } from './pod-types.js';
import { downwardValue } from './downward.js';

/** A volume the local node cannot set up (missing Secret, unsupported type...): what and which volume. */
export class VolumeError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(`volume "${volume}": ${message}`);
    this.name = 'VolumeError';
  }
}

/** Where a volume's files are on the host (what the pod's wrapper bind-mounts at the mountPath). */
export interface MaterialisedVolume {
  name: string;
  hostPath: string;
}

/** What the volume code needs from the node: the API and where a claim's volume lives on the host. */
export interface VolumeContext {
  api: KubeApi;
  pod: Pod;
  /** The pod's directory on the host (volumes go under volumes/<name>). */
  podDir: string;
  /** The host directory of a bound PersistentVolume, by claim (namespace/name). */
  claimPath(namespace: string, claim: string): Promise<string>;
}

/** Tokens requested per pod, reused until 80% of their lifetime (the kubelet's rotation point). */
const tokens = new Map<string, { token: string; refreshAt: number }>();

/**
 * Sets up (or refreshes) every volume of the pod under `<podDir>/volumes/<name>`: Secret, ConfigMap
 * and projected volumes through the atomic writer (so updates swap in as the kubelet's do), emptyDir
 * as a directory, persistentVolumeClaim as the bound volume's host directory. Throws VolumeError.
 */
export async function materialiseVolumes(ctx: VolumeContext): Promise<MaterialisedVolume[]> {
  const out: MaterialisedVolume[] = [];
  for (const vol of ctx.pod.spec.volumes ?? []) {
    const dir = join(ctx.podDir, 'volumes', vol.name);
    if (vol.emptyDir) {
      await mkdir(dir, { recursive: true });
      out.push({ name: vol.name, hostPath: dir });
    } else if (vol.persistentVolumeClaim) {
      out.push({
        name: vol.name,
        hostPath: await ctx.claimPath(ctx.pod.metadata.namespace, vol.persistentVolumeClaim.claimName),
      });
    } else if (vol.hostPath) {
      out.push({ name: vol.name, hostPath: vol.hostPath.path });
    } else {
      await writeAtomically(dir, await payloadOf(ctx, vol));
      out.push({ name: vol.name, hostPath: dir });
    }
  }
  return out;
}

/** Forgets the pod's cached tokens (when it is gone). */
export function forgetPodTokens(podUid: string): void {
  for (const key of [...tokens.keys()]) if (key.startsWith(`${podUid}/`)) tokens.delete(key);
}

async function payloadOf(ctx: VolumeContext, vol: Volume): Promise<Payload> {
  const payload: Payload = new Map();
  if (vol.secret) {
    const data = await keyData(ctx, vol.name, 'secrets', vol.secret.secretName, vol.secret.optional);
    addItems(payload, vol.name, data, vol.secret.items, vol.secret.defaultMode ?? 0o644, vol.secret.optional);
  } else if (vol.configMap) {
    const data = await keyData(ctx, vol.name, 'configmaps', vol.configMap.name, vol.configMap.optional);
    addItems(
      payload,
      vol.name,
      data,
      vol.configMap.items,
      vol.configMap.defaultMode ?? 0o644,
      vol.configMap.optional,
    );
  } else if (vol.downwardAPI) {
    for (const item of vol.downwardAPI.items ?? [])
      payload.set(item.path, {
        data: Buffer.from(fieldValue(vol.name, ctx.pod, item)),
        mode: item.mode ?? vol.downwardAPI.defaultMode ?? 0o644,
      });
  } else if (vol.projected) {
    const mode = vol.projected.defaultMode ?? 0o644;
    for (const source of vol.projected.sources ?? []) {
      if (source.secret) {
        const data = await keyData(ctx, vol.name, 'secrets', source.secret.name, source.secret.optional);
        addItems(payload, vol.name, data, source.secret.items, mode, source.secret.optional);
      } else if (source.configMap) {
        const data = await keyData(
          ctx,
          vol.name,
          'configmaps',
          source.configMap.name,
          source.configMap.optional,
        );
        addItems(payload, vol.name, data, source.configMap.items, mode, source.configMap.optional);
      } else if (source.downwardAPI) {
        for (const item of source.downwardAPI.items ?? [])
          payload.set(item.path, {
            data: Buffer.from(fieldValue(vol.name, ctx.pod, item)),
            mode: item.mode ?? mode,
          });
      } else if (source.serviceAccountToken) {
        const t = source.serviceAccountToken;
        payload.set(t.path, {
          data: Buffer.from(await podToken(ctx, vol.name, t.audience, t.expirationSeconds)),
          mode,
        });
      } else {
        throw new VolumeError(vol.name, `unsupported projected source ${Object.keys(source).join(',')}`);
      }
    }
  } else {
    const kind =
      Object.keys(vol)
        .filter((k) => k !== 'name')
        .join(',') || 'none';
    throw new VolumeError(
      vol.name,
      `unsupported volume type ${kind} (the local node supports secret, configMap, projected, downwardAPI, emptyDir, persistentVolumeClaim, hostPath)`,
    );
  }
  return payload;
}

/** A Secret's or ConfigMap's keys as bytes; an absent optional one is empty. */
async function keyData(
  ctx: VolumeContext,
  volume: string,
  resource: 'secrets' | 'configmaps',
  name: string,
  optional?: boolean,
): Promise<Map<string, Buffer> | undefined> {
  const obj = await ctx.api.getOrUndefined<
    KubeObject & { data?: Record<string, string>; binaryData?: Record<string, string> }
  >(`/api/v1/namespaces/${ctx.pod.metadata.namespace}/${resource}/${name}`);
  if (!obj) {
    if (optional) return undefined;
    throw new VolumeError(volume, `${resource === 'secrets' ? 'secret' : 'configmap'} "${name}" not found`);
  }
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(obj.data ?? {}))
    out.set(k, resource === 'secrets' ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(obj.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

function addItems(
  payload: Payload,
  volume: string,
  data: Map<string, Buffer> | undefined,
  items: { key: string; path: string; mode?: number }[] | undefined,
  mode: number,
  optional?: boolean,
): void {
  if (!data) return;
  if (!items?.length) {
    for (const [k, v] of data) payload.set(k, { data: v, mode });
    return;
  }
  for (const item of items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (optional) continue;
      throw new VolumeError(volume, `key "${item.key}" not found (items[].key)`);
    }
    payload.set(item.path, { data: value, mode: item.mode ?? mode });
  }
}

function fieldValue(
  volume: string,
  pod: Pod,
  item: { fieldRef?: { fieldPath: string }; path: string },
): string {
  if (!item.fieldRef)
    throw new VolumeError(volume, `downwardAPI item "${item.path}": only fieldRef is supported`);
  const value = downwardValue(pod, item.fieldRef.fieldPath);
  if (value === undefined)
    throw new VolumeError(
      volume,
      `downwardAPI item "${item.path}": unsupported fieldPath ${item.fieldRef.fieldPath}`,
    );
  return value;
}

/** A service-account token bound to the pod (TokenRequest), as the kubelet requests it. */
async function podToken(
  ctx: VolumeContext,
  volume: string,
  audience?: string,
  expirationSeconds?: number,
): Promise<string> {
  const { pod } = ctx;
  const key = `${pod.metadata.uid}/${audience ?? ''}/${expirationSeconds ?? ''}`;
  const cached = tokens.get(key);
  if (cached && Date.now() < cached.refreshAt) return cached.token;
  const sa = pod.spec.serviceAccountName ?? 'default';
  const ttl = Math.max(expirationSeconds ?? 3607, 600);
  try {
    const res = await ctx.api.call<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds: ttl,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
    );
    tokens.set(key, { token: res.status.token, refreshAt: Date.now() + ttl * 800 });
    return res.status.token;
  } catch (err) {
    const why = err instanceof KubeApiError ? err.message : String(err);
    throw new VolumeError(volume, `token request for serviceaccount "${sa}" failed: ${why}`);
  }
}
