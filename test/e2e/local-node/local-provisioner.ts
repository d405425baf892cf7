import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeApiError, type KubeApi, type KubeObject } from './kube-api.js';

/** The default StorageClass's name (kind's is `standard` too) and its provisioner. */
export const STORAGE_CLASS = 'standard';
export const PROVISIONER = 'hybridgate.dev/local-node';

interface Claim extends KubeObject {
  metadata: KubeObject['metadata'] & { namespace: string; uid: string };
  spec: {
    storageClassName?: string;
    accessModes?: string[];
    volumeName?: string;
    resources?: { requests?: { storage?: string } };
  };
  status?: { phase?: string };
}

interface Volume extends KubeObject {
  spec: { hostPath?: { path: string }; claimRef?: { namespace: string; name: string } };
  status?: { phase?: string };
}

/** A claim the node cannot mount yet (unbound, or bound to a volume it did not make). */
export class ClaimNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimNotReadyError';
  }
}

/**
 * kind's local-path provisioner, for the local node: a default StorageClass; each pending claim of
 * that class gets a PersistentVolume (hostPath to a directory of the run, pre-bound through
 * claimRef, so the PV controller binds them); a Released volume loses its directory and object.
 * stop() deletes every volume it made (and their directories, which live under the run's dir).
 */
export class LocalProvisioner {
  private readonly made = new Set<string>();
  private readonly abort = new AbortController();

  constructor(
    private readonly api: KubeApi,
    private readonly dir: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** Creates the StorageClass and starts following claims and volumes. */
  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    try {
      await this.api.call('POST', '/apis/storage.k8s.io/v1/storageclasses', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: {
          name: STORAGE_CLASS,
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: PROVISIONER,
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate',
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    }
    const onError = (err: unknown) =>
      this.log(`provisioner watch error error=${JSON.stringify((err as Error).message)}`);
    void this.api.listWatch<Claim>(
      '/api/v1/persistentvolumeclaims',
      {
        onList: async (items) => {
          for (const c of items) await this.claim(c);
        },
        onEvent: async (ev) => {
          if (ev.type !== 'DELETED') await this.claim(ev.object);
        },
      },
      this.abort.signal,
      onError,
    );
    void this.api.listWatch<Volume>(
      '/api/v1/persistentvolumes',
      {
        onList: async (items) => {
          for (const v of items) await this.released(v);
        },
        onEvent: async (ev) => {
          if (ev.type !== 'DELETED') await this.released(ev.object);
        },
      },
      this.abort.signal,
      onError,
    );
  }

  private async claim(c: Claim): Promise<void> {
    if (c.spec.volumeName || c.status?.phase === 'Bound' || c.metadata.deletionTimestamp) return;
    if ((c.spec.storageClassName ?? STORAGE_CLASS) !== STORAGE_CLASS) return;
    const name = `pvc-${c.metadata.uid}`;
    if (this.made.has(name)) return;
    const path = join(this.dir, `${c.metadata.namespace}_${c.metadata.name}_${name}`);
    try {
      await mkdir(path, { recursive: true, mode: 0o777 });
      this.made.add(name);
      await this.api.call('POST', '/api/v1/persistentvolumes', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': PROVISIONER } },
        spec: {
          capacity: { storage: c.spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: c.spec.accessModes?.length ? c.spec.accessModes : ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Delete',
          storageClassName: STORAGE_CLASS,
          volumeMode: 'Filesystem',
          hostPath: { path, type: 'Directory' },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace: c.metadata.namespace,
            name: c.metadata.name,
            uid: c.metadata.uid,
          },
        },
      });
      this.log(`provisioned volume pv=${name} claim=${c.metadata.namespace}/${c.metadata.name}`);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409) return;
      this.made.delete(name);
      this.log(
        `provisioning failed claim=${c.metadata.namespace}/${c.metadata.name} error=${JSON.stringify((err as Error).message)}`,
      );
    }
  }

  private async released(v: Volume): Promise<void> {
    if (!this.made.has(v.metadata.name) || v.status?.phase !== 'Released') return;
    await this.remove(v);
  }

  private async remove(v: Volume): Promise<void> {
    await this.api.call('DELETE', `/api/v1/persistentvolumes/${v.metadata.name}`).catch(() => {});
    if (v.spec.hostPath?.path.startsWith(this.dir))
      await rm(v.spec.hostPath.path, { recursive: true, force: true });
    this.made.delete(v.metadata.name);
    this.log(`deleted released volume pv=${v.metadata.name}`);
  }

  /** The host directory behind a claim; ClaimNotReadyError while it is not bound to one of ours. */
  async claimPath(namespace: string, claim: string): Promise<string> {
    const c = await this.api.getOrUndefined<Claim>(
      `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim}`,
    );
    if (!c) throw new ClaimNotReadyError(`persistentvolumeclaim "${claim}" not found`);
    if (!c.spec.volumeName) throw new ClaimNotReadyError(`persistentvolumeclaim "${claim}" is not bound yet`);
    const v = await this.api.getOrUndefined<Volume>(`/api/v1/persistentvolumes/${c.spec.volumeName}`);
    const path = v?.spec.hostPath?.path;
    if (!path)
      throw new ClaimNotReadyError(
        `persistentvolume "${c.spec.volumeName}" has no hostPath the local node can mount`,
      );
    return path;
  }

  /** Stops following and deletes every volume it made. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const name of [...this.made]) {
      const v = await this.api
        .getOrUndefined<Volume>(`/api/v1/persistentvolumes/${name}`)
        .catch(() => undefined);
      if (v) await this.remove(v);
      this.made.delete(name);
    }
  }
}
