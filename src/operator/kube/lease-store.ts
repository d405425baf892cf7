import type { ObjectMeta } from '../../api/meta.js';
import { isNotFound } from '../errors.js';
import type { KubeClient } from './kube-client.js';
import { resourcePath, RESOURCES } from './resources.js';

/** coordination.k8s.io/v1 Lease as it travels (times are RFC 3339 MicroTime strings). */
export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: ObjectMeta;
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Reads and writes the leader-election Lease; writes are optimistic (resourceVersion) so racers fail. */
export class LeaseStore {
  private readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;

  constructor(client: KubeClient, namespace: string, name: string) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
  }

  /** The Lease, or undefined when it does not exist. */
  async get(): Promise<Lease | undefined> {
    try {
      return await this.client.request<Lease>({ method: 'GET', path: this.path(this.name) });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Creates the Lease; a 409 means someone else created it first. */
  create(spec: Lease['spec']): Promise<Lease> {
    return this.client.request<Lease>({
      method: 'POST',
      path: this.path(),
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
        spec,
      },
    });
  }

  /** Replaces the Lease's spec if it still has `current`'s resourceVersion (409 otherwise). */
  update(current: Lease, spec: Lease['spec']): Promise<Lease> {
    return this.client.request<Lease>({
      method: 'PUT',
      path: this.path(this.name),
      body: { ...current, spec },
    });
  }

  private path(name?: string): string {
    return resourcePath(RESOURCES.Lease, { namespace: this.namespace, name });
  }
}

/** Formats a time as Kubernetes MicroTime (RFC 3339 with microseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
